/*
 * fdscan.h — counting the sockets a process has open, from /proc/self/fd.
 *
 * The gateway prints this number at exit so that a run shows its own leak:
 * 2 per removed publisher with --bug, 0 without.
 */
#ifndef GW_FDSCAN_H
#define GW_FDSCAN_H

/* Number of fds of this process that are sockets, or -errno. */
int fdscan_count_sockets(void);

#endif /* GW_FDSCAN_H */
