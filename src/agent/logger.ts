export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Where the agent reports what it does; library code never prints. Fields never hold secrets. */
export type AgentLogger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
