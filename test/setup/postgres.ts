import { startTestCluster } from '../helpers/postgres-cluster.js';

/**
 * Global setup of a PostgreSQL run (`EBCLI_TEST_DATABASE=postgres`): one throwaway cluster for the
 * whole run, its superuser URL handed to the test workers in EBCLI_TEST_PG_URL (each test server
 * or store gets a database of its own there). The teardown stops the cluster and removes its
 * directory, also when tests failed. On the default SQLite run it does nothing.
 */
export default function setup(): (() => void) | undefined {
  if (process.env.EBCLI_TEST_DATABASE !== 'postgres') return undefined;
  const cluster = startTestCluster();
  process.env.EBCLI_TEST_PG_URL = cluster.adminUrl;
  return () => {
    delete process.env.EBCLI_TEST_PG_URL;
    cluster.stop();
  };
}
