/* The database's own count of its clients (db, queries): one libpq
 * connection kept open for the run, asking PostgreSQL how many client
 * backends it has, so that the connections a server really opened (a pool
 * per process: prefork, fork, reuseport open more) are measured from the
 * database, not taken from the server's word.
 *
 *   struct db_probe *p = db_probe_open(uri, err, sizeof err);  // NULL: why in err
 *   long n = db_probe_clients(p);   // -1 when the query failed
 *   db_probe_close(p);
 */
#ifndef HARNESS_DB_PROBE_H
#define HARNESS_DB_PROBE_H

#include <stddef.h>

struct db_probe;

/* A connection to the cluster at libpq URI uri; NULL with why in err. */
struct db_probe *db_probe_open(const char *uri, char *err, size_t errlen);
/* Client backends of the whole cluster (pg_stat_activity, backend_type
 * 'client backend'), this probe's own left out; -1 if the query failed
 * (one reconnect is tried: the database may have been restarted). Costs
 * one round trip on a Unix socket, well under a millisecond. */
long db_probe_clients(struct db_probe *p);
void db_probe_close(struct db_probe *p); /* NULL: nothing */

#endif
