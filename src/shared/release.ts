/** The CAM API release this server speaks and clients expect (`ElasticBox-Release`). */
export const RELEASE = '4.0';

/** Whether a server's `ElasticBox-Release` is one this code speaks (any 4.0.x). */
export const compatibleRelease = (release: string): boolean => release.startsWith(RELEASE);
