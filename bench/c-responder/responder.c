/*
 * The C baselines of bench/run: the smallest libfcgi responders wired like the press workers.
 * P processes share one listening socket, each runs M threads, and every thread is an
 * FCGX_Accept_r loop (libfcgi serves one FastCGI connection per thread).
 *
 *   responder SOCKET_PATH PROCESSES THREADS                    ("c-fcgi-204")
 *   responder SOCKET_PATH PROCESSES THREADS BOOTSTRAP TOPIC    ("c-kafka")
 *
 * Without BOOTSTRAP and TOPIC every request is answered "Status: 204" without reading the
 * body or doing any work: the cost of FastCGI behind nginx and nothing else.
 *
 * With them, every request produces one event-sized message to TOPIC with librdkafka and is
 * answered 200 with a small HTML fragment only once the message's delivery report says the
 * broker has it, or 503 when the report is a failure or has not come within 2 s. This is the
 * plain C reference of issue 6: what any FastCGI responder that acknowledges a press only
 * after Kafka has it must pay (FastCGI, one produce, the broker round trip, the hand-off
 * between the request thread and the thread serving delivery reports), without our
 * workers' cookie, Avro encoding or geolocation. It is configured like the workers where it
 * matters: enable.idempotence=true, message.timeout.ms equal to the 2 s ack timeout,
 * socket.nagle.disable left at librdkafka's default; linger.ms=0 as in the issue's
 * reference (the workers default to 0.5).
 *
 * The socket is made mode 0666 so nginx's worker user can connect. TERM or INT stop it in
 * order: no new requests, in-flight requests finish, the producer is flushed, then
 * everything is freed and each process exits 0. Child processes also get TERM when the
 * first process dies (PR_SET_PDEATHSIG).
 *
 * Built by bench/run: cc -O2 -Wall -o responder responder.c -lfcgi -lrdkafka -lpthread
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcgiapp.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    ACK_TIMEOUT_MS = 2000,    /* the workers' BUTTON_ACK_TIMEOUT_MS default */
    FLUSH_TIMEOUT_MS = 3000,  /* above message.timeout.ms: normally every report is in by then */
    KEY_LEN = 36,             /* a session id as UUID text, the workers' message key */
    VALUE_LEN = 100,          /* about the size of one Avro-encoded press event */
};

static int listen_fd = -1;

/* Set once TERM/INT arrived; a request thread checks it before each accept. */
static atomic_bool stopping;

/* ---- Kafka mode ---------------------------------------------------------------------- */

/* One producer per process, made after fork (librdkafka's threads do not survive a fork).
 * NULL in 204 mode. */
static rd_kafka_t *producer;
static rd_kafka_topic_t *topic;
static pthread_t poller;
static atomic_bool poller_stop;

/*
 * A request thread's rendezvous with the delivery-report callback, reused from request to
 * request so that a request allocates nothing to wait. Reference counted: the owning
 * thread holds one reference, and each message in flight one more (passed to librdkafka as
 * the message's opaque, dropped by the report). When a wait times out, the message's
 * report is still to come: the thread then drops its reference and takes a new waiter, so
 * a late report can never be mistaken for the next message's, and whichever side drops the
 * last reference frees the waiter.
 */
struct waiter {
    pthread_mutex_t mutex;
    pthread_cond_t cond;          /* on CLOCK_MONOTONIC: a clock step neither cuts nor stretches a wait */
    int refs;                     /* guarded by mutex, like done and err */
    bool done;
    rd_kafka_resp_err_t err;
};

static struct waiter *waiter_new(void) {
    struct waiter *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    pthread_condattr_t attributes;
    if (pthread_condattr_init(&attributes) != 0) { free(w); return NULL; }
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    int cond_status = pthread_cond_init(&w->cond, &attributes);
    pthread_condattr_destroy(&attributes);
    if (cond_status != 0) { free(w); return NULL; }
    if (pthread_mutex_init(&w->mutex, NULL) != 0) {
        pthread_cond_destroy(&w->cond);
        free(w);
        return NULL;
    }
    w->refs = 1;
    return w;
}

static void waiter_free(struct waiter *w) {
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->mutex);
    free(w);
}

static void waiter_release(struct waiter *w) {
    pthread_mutex_lock(&w->mutex);
    int left = --w->refs;
    pthread_mutex_unlock(&w->mutex);
    if (left == 0) waiter_free(w);
}

/* librdkafka's delivery-report callback, run by the poll thread (or by rd_kafka_flush at
 * exit): hands the outcome to the waiting request thread and drops the message's reference. */
static void delivered(rd_kafka_t *rk, const rd_kafka_message_t *message, void *unused) {
    (void)rk;
    (void)unused;
    struct waiter *w = message->_private;
    if (!w) return;
    pthread_mutex_lock(&w->mutex);
    w->done = true;
    w->err = message->err;
    pthread_cond_signal(&w->cond);
    int left = --w->refs;
    pthread_mutex_unlock(&w->mutex);
    if (left == 0) waiter_free(w);
}

/* Serves delivery reports as they arrive, the way the workers' report thread does. */
static void *poll_loop(void *unused) {
    (void)unused;
    while (!atomic_load(&poller_stop)) rd_kafka_poll(producer, 100);
    return NULL;
}

static bool kafka_start(const char *bootstrap, const char *topic_name) {
    char error[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *settings[][2] = {
        {"bootstrap.servers", bootstrap},
        {"enable.idempotence", "true"},
        {"linger.ms", "0"},
        {"message.timeout.ms", "2000"},
    };
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], error, sizeof error) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "responder: %s: %s\n", settings[i][0], error);
            rd_kafka_conf_destroy(conf);
            return false;
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, delivered);
    producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!producer) {  /* on failure the configuration is still ours */
        fprintf(stderr, "responder: rd_kafka_new: %s\n", error);
        rd_kafka_conf_destroy(conf);
        return false;
    }
    topic = rd_kafka_topic_new(producer, topic_name, NULL);
    if (!topic) {
        fprintf(stderr, "responder: topic %s: %s\n", topic_name, rd_kafka_err2str(rd_kafka_last_error()));
        rd_kafka_destroy(producer);
        producer = NULL;
        return false;
    }
    /* Fail at start, not on the first request, when the broker or the topic is missing. */
    const struct rd_kafka_metadata *metadata = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(producer, 0, topic, &metadata, 5000);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 && metadata->topics[0].err) {
        err = metadata->topics[0].err;
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "responder: producing to %s (%d partitions) at %s\n", topic_name,
                metadata->topics[0].partition_cnt, bootstrap);
    } else {
        fprintf(stderr, "responder: no metadata for topic %s at %s: %s\n", topic_name, bootstrap, rd_kafka_err2str(err));
    }
    if (metadata) rd_kafka_metadata_destroy(metadata);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && pthread_create(&poller, NULL, poll_loop, NULL) == 0) return true;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) fprintf(stderr, "responder: cannot start the poll thread\n");
    rd_kafka_topic_destroy(topic);
    rd_kafka_destroy(producer);
    topic = NULL;
    producer = NULL;
    return false;
}

/* Flushes what is still in flight, then frees the producer. Every message must get its
 * report, since the report frees the message's waiter: with the broker unreachable an
 * idempotent producer can hold a message past message.timeout.ms, and rd_kafka_destroy
 * drops such messages without a report, so what the flush leaves is purged, which reports
 * it as failed. */
static void kafka_stop(void) {
    if (!producer) return;
    if (rd_kafka_flush(producer, FLUSH_TIMEOUT_MS) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "responder: %d messages still unreported after %d ms; purging them\n",
                rd_kafka_outq_len(producer), FLUSH_TIMEOUT_MS);
        rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(producer, 1000);
    }
    atomic_store(&poller_stop, true);
    pthread_join(poller, NULL);
    rd_kafka_topic_destroy(topic);
    rd_kafka_destroy(producer);
    topic = NULL;
    producer = NULL;
}

/* ---- request threads ------------------------------------------------------------------ */

struct slot {
    pthread_t id;
    FCGX_Request request;
    pthread_mutex_t lock;  /* guards accepting and finished, read by the stopping thread */
    bool accepting;        /* inside FCGX_Accept_r: idle, and safe to interrupt with SIGUSR1 */
    bool finished;
    struct waiter *waiter; /* Kafka mode: this thread's, replaced after a timed-out wait */
    uint64_t random;       /* xorshift64 state for the keys */
};

static uint64_t next_random(uint64_t *state) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* A key shaped like the workers' (a session id as UUID text), different for every request
 * so that the messages spread over the partitions. */
static void make_key(uint64_t *state, char key[KEY_LEN]) {
    static const char hex[] = "0123456789abcdef";
    uint64_t bits[2] = {next_random(state), next_random(state)};
    int nibble = 0;
    for (int i = 0; i < KEY_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            key[i] = '-';
            continue;
        }
        key[i] = hex[(bits[nibble / 16] >> (4 * (nibble % 16))) & 0xf];
        nibble++;
    }
}

static struct timespec deadline_after(int milliseconds) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += milliseconds / 1000;
    t.tv_nsec += (long)(milliseconds % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* Produces one event-sized message and waits for its delivery report, at most 2 s. */
static rd_kafka_resp_err_t produce_and_wait(struct slot *s) {
    if (!s->waiter && !(s->waiter = waiter_new())) return RD_KAFKA_RESP_ERR__FAIL;
    struct waiter *w = s->waiter;

    char key[KEY_LEN];
    make_key(&s->random, key);
    /* The value stands in for the Avro event: the key and a µs timestamp, padded to size. */
    unsigned char value[VALUE_LEN];
    memset(value, 'x', sizeof value);
    memcpy(value, key, KEY_LEN);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t micros = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    memcpy(value + KEY_LEN, &micros, sizeof micros);

    pthread_mutex_lock(&w->mutex);
    w->done = false;
    w->refs++;  /* the message's reference, dropped by its report */
    pthread_mutex_unlock(&w->mutex);
    if (rd_kafka_produce(topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value, sizeof value, key, KEY_LEN, w) != 0) {
        rd_kafka_resp_err_t err = rd_kafka_last_error();
        pthread_mutex_lock(&w->mutex);
        w->refs--;  /* no report will come; the thread's own reference keeps it above 0 */
        pthread_mutex_unlock(&w->mutex);
        return err;
    }

    struct timespec deadline = deadline_after(ACK_TIMEOUT_MS);
    pthread_mutex_lock(&w->mutex);
    while (!w->done) {
        if (pthread_cond_timedwait(&w->cond, &w->mutex, &deadline) == ETIMEDOUT) break;
    }
    bool done = w->done;
    rd_kafka_resp_err_t err = w->err;
    pthread_mutex_unlock(&w->mutex);
    if (!done) {
        /* The report will still come and must find a waiter nobody else uses. */
        waiter_release(w);
        s->waiter = waiter_new();
        return RD_KAFKA_RESP_ERR__TIMED_OUT;
    }
    return err;
}

static void put(FCGX_Request *request, const char *text, size_t length) {
    FCGX_PutStr(text, (int)length, request->out);
}
#define PUT(request, literal) put((request), (literal), sizeof(literal) - 1)

static void answer(struct slot *s) {
    FCGX_Request *request = &s->request;
    if (!producer) {
        PUT(request, "Status: 204 No Content\r\n\r\n");
        return;
    }
    /* Shaped and sized like the press fragment (about 155 bytes), but fixed: no cookie, no geolocation. */
    if (produce_and_wait(s) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        PUT(request, "Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n\r\n"
                     "<p class=\"line\">Impressive. Pointless, but impressive.</p>"
                     "<p class=\"count\">Presses this session: 1</p>"
                     "<p class=\"place\">Pressing from: United Kingdom</p>");
    } else {
        PUT(request, "Status: 503 Service Unavailable\r\nContent-Type: text/html; charset=utf-8\r\n"
                     "Cache-Control: no-store\r\nRetry-After: 5\r\n\r\n"
                     "<p class=\"line busy\">That press was not recorded; please try again.</p>\n");
    }
}

static void *serve(void *argument) {
    struct slot *s = argument;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool stop = atomic_load(&stopping);
        s->accepting = !stop;
        pthread_mutex_unlock(&s->lock);
        if (stop) break;
        int status = FCGX_Accept_r(&s->request);
        pthread_mutex_lock(&s->lock);
        s->accepting = false;
        pthread_mutex_unlock(&s->lock);
        if (status < 0) {
            if (!atomic_load(&stopping)) fprintf(stderr, "responder: FCGX_Accept_r failed (%d); thread ends\n", status);
            break;
        }
        answer(s);
        /* Finished here, outside the accepting window, so that SIGUSR1 never cuts a reply. */
        FCGX_Finish_r(&s->request);
    }
    FCGX_Free(&s->request, s->request.ipcFd >= 0);
    pthread_mutex_lock(&s->lock);
    s->finished = true;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* SIGUSR1 only interrupts a blocking call (installed without SA_RESTART). */
static void interrupt_call(int signal_number) { (void)signal_number; }

/* Stops this process's threads: in-flight requests finish, idle threads end. An idle thread
 * blocks in FCGX_Accept_r, either in accept or, on one of nginx's kept-alive connections, in
 * read; a signal interrupts both: libfcgi closes the interrupted connection, and an
 * interrupted accept fails (FCGI_FAIL_ACCEPT_ON_INTR). A thread is signalled again until it
 * is gone, since a signal sent just before it blocks is lost. The listening socket is left
 * open (shutting it down would stop the other processes' acceptors too, which share it). */
static void stop_threads(struct slot *slots, int count) {
    atomic_store(&stopping, true);
    FCGX_ShutdownPending();
    for (;;) {
        int running = 0;
        for (int i = 0; i < count; i++) {
            pthread_mutex_lock(&slots[i].lock);
            if (!slots[i].finished) {
                running++;
                if (slots[i].accepting) pthread_kill(slots[i].id, SIGUSR1);
            }
            pthread_mutex_unlock(&slots[i].lock);
        }
        if (running == 0) break;
        nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
    }
    for (int i = 0; i < count; i++) pthread_join(slots[i].id, NULL);
}

/* One process's life: Kafka (in that mode), the threads, the stop signal, an orderly stop.
 * The first process forwards the stop signal to the children. Returns the exit status. */
static int run_process(int threads, const char *bootstrap, const char *topic_name,
                       const pid_t *children, int child_count) {
    struct slot *slots = NULL;
    if (bootstrap && !kafka_start(bootstrap, topic_name)) goto failed;
    slots = calloc((size_t)threads, sizeof *slots);
    if (!slots) {
        perror("responder: calloc");
        kafka_stop();
        goto failed;
    }
    int started = 0, status = 0;
    for (; started < threads; started++) {
        struct slot *s = &slots[started];
        s->random = 0x9e3779b97f4a7c15ULL * (uint64_t)(started + 1) ^ (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
        if (s->random == 0) s->random = 1;
        if (pthread_mutex_init(&s->lock, NULL) != 0) break;
        if (FCGX_InitRequest(&s->request, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0 ||
            pthread_create(&s->id, NULL, serve, s) != 0) {
            pthread_mutex_destroy(&s->lock);
            break;
        }
    }
    if (started < threads) {
        fprintf(stderr, "responder: could only start %d of %d threads\n", started, threads);
        status = 1;
    } else {
        sigset_t stop_signals;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGTERM);
        sigaddset(&stop_signals, SIGINT);
        int received;
        sigwait(&stop_signals, &received);
    }
    for (int i = 0; i < child_count; i++) kill(children[i], SIGTERM);
    stop_threads(slots, started);
    for (int i = 0; i < started; i++) {
        if (slots[i].waiter) waiter_release(slots[i].waiter);
        pthread_mutex_destroy(&slots[i].lock);
    }
    free(slots);
    kafka_stop();  /* after the threads: their timed-out messages' waiters die with the reports */
    return status;
failed:
    for (int i = 0; i < child_count; i++) kill(children[i], SIGTERM);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 6) {
        fprintf(stderr, "usage: %s SOCKET_PATH PROCESSES THREADS [BOOTSTRAP TOPIC]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    int processes = atoi(argv[2]), threads = atoi(argv[3]);
    const char *bootstrap = argc == 6 ? argv[4] : NULL, *topic_name = argc == 6 ? argv[5] : NULL;
    if (processes < 1 || threads < 1) {
        fprintf(stderr, "PROCESSES and THREADS must be >= 1\n");
        return 2;
    }
    if (FCGX_Init() != 0) {
        fprintf(stderr, "FCGX_Init failed\n");
        return 1;
    }
    /* TERM and INT are taken with sigwait by each process's main thread: blocked before any
     * thread or child exists, so that all inherit the mask (libfcgi's own TERM handler only
     * sets a flag that a thread blocked in accept or read never sees). */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    struct sigaction interrupt = {.sa_handler = interrupt_call};
    sigemptyset(&interrupt.sa_mask);
    sigaction(SIGUSR1, &interrupt, NULL);

    unlink(path);
    listen_fd = FCGX_OpenSocket(path, 1024);
    if (listen_fd < 0) {
        fprintf(stderr, "cannot listen on %s\n", path);
        return 1;
    }
    chmod(path, 0666);

    pid_t *children = calloc((size_t)processes, sizeof *children);
    if (!children) {
        perror("responder: calloc");
        return 1;
    }
    int child_count = 0, status = 0;
    pid_t parent = getpid();
    for (int p = 1; p < processes; p++) {
        pid_t child = fork();
        if (child < 0) {
            perror("responder: fork");
            status = 1;
            break;
        }
        if (child == 0) {
            free(children);
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent) _exit(0);  /* the parent died before prctl */
            int child_status = run_process(threads, bootstrap, topic_name, NULL, 0);
            close(listen_fd);
            _exit(child_status);
        }
        children[child_count++] = child;
    }
    if (status == 0) {
        status = run_process(threads, bootstrap, topic_name, children, child_count);
    } else {
        for (int i = 0; i < child_count; i++) kill(children[i], SIGTERM);
    }
    for (int i = 0; i < child_count; i++) {
        int child_status;
        if (waitpid(children[i], &child_status, 0) == children[i] &&
            !(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0)) {
            status = 1;
        }
    }
    free(children);
    close(listen_fd);
    unlink(path);
    return status;
}
