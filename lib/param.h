/* param.h: every limit and default of the kit, in one place (after xv6's param.h). */
#ifndef KIT_PARAM_H
#define KIT_PARAM_H

#define KEY_MAX            31          /* longest key in bytes (SPEC §1) */
#define LINE_MAX_BYTES     4096        /* longest input line, newline excluded (SPEC §1) */
#define PAYLOAD_MAX        (8u << 20)  /* largest --payload in bytes */
#define FRAME_MAX          (16u << 20) /* largest frame body on a byte stream */
#define QUEUE_DEPTH        1024        /* default depth of a bounded worker queue */
#define INBOX_BATCH        256         /* messages per batch a reader thread hands to its loop */
#define INBOX_BATCHES      8           /* full batches queued before the reader thread waits */
#define WORKERS_MAX        256         /* most workers or threads a pipeline accepts */
#define RING_VNODES        160         /* virtual nodes per worker on the consistent-hash ring */

#define MESSAGES_DEFAULT   100000      /* --messages */
#define KEYS_DEFAULT       100         /* --keys */
#define ZIPF_S_DEFAULT     1.1         /* --zipf-s */
#define SEED_DEFAULT       1           /* --seed */

#define CTL_LINE_MAX       512         /* longest control-socket command line */
#define CTL_CONN_MAX       32          /* most control connections open at once */
#define CTL_IDLE_MS        10000       /* a connection silent this long (nothing pending) is closed */
#define CTL_REPLY_TIMEOUT_MS 2000      /* a worker that has not answered by then: ERR timeout */

#define EXIT_OK            0           /* ran to the end, nothing rejected (SPEC §4) */
#define EXIT_FAILURE_RT    1           /* runtime failure the program could not survive */
#define EXIT_USAGE         2           /* bad command line, nothing run */
#define EXIT_DATAERR       65          /* ran to the end, but input lines were rejected */

#endif
