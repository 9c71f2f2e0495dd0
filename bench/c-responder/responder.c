/*
 * Baseline B of bench/run: the smallest libfcgi responder that answers like the press
 * workers are wired: P processes sharing one listening socket, M threads each, every
 * thread an FCGX_Accept_r loop (one FastCGI connection per thread, as libfcgi serves
 * them), replying "Status: 204" without reading the body or doing any work.
 *
 *   responder SOCKET_PATH PROCESSES THREADS
 *
 * The socket is made mode 0666 so nginx's worker user can connect. TERM/INT stop it
 * (libfcgi's own TERM handler, which only sets a flag, is replaced by the default).
 * Child processes die with the parent (PR_SET_PDEATHSIG).
 *
 * Built by bench/run: cc -O2 -o responder responder.c -lfcgi -lpthread
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int listen_fd;

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request request;
    if (FCGX_InitRequest(&request, listen_fd, 0) != 0) return NULL;
    static const char reply[] = "Status: 204 No Content\r\n\r\n";
    while (FCGX_Accept_r(&request) >= 0) {
        FCGX_PutStr(reply, sizeof reply - 1, request.out);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

static void run_threads(int threads) {
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    if (!ids) { perror("calloc"); exit(1); }
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&ids[i], NULL, serve, NULL) != 0) { perror("pthread_create"); exit(1); }
    }
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s SOCKET_PATH PROCESSES THREADS\n", argv[0]);
        return 2;
    }
    int processes = atoi(argv[2]), threads = atoi(argv[3]);
    if (processes < 1 || threads < 1) { fprintf(stderr, "PROCESSES and THREADS must be >= 1\n"); return 2; }
    if (FCGX_Init() != 0) { fprintf(stderr, "FCGX_Init failed\n"); return 1; }
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    unlink(argv[1]);
    listen_fd = FCGX_OpenSocket(argv[1], 1024);
    if (listen_fd < 0) { fprintf(stderr, "cannot listen on %s\n", argv[1]); return 1; }
    chmod(argv[1], 0666);
    pid_t parent = getpid();
    for (int p = 1; p < processes; p++) {
        pid_t child = fork();
        if (child < 0) { perror("fork"); return 1; }
        if (child == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent) _exit(0);
            run_threads(threads);
            _exit(0);
        }
    }
    run_threads(threads);
    return 0;
}
