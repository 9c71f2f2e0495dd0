/*
 * The planted control of scripts/sanitize --plant: a program that leaks (address) or races
 * (thread) on purpose, run with the workers' own sanitizer options and log directory. The
 * script must then fail and print this report, which proves that the report collection
 * bites and that the committed suppressions are specific enough not to hide a new finding.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long planted_counter;
static void *bump(void *unused) {
    (void)unused;
    for (int i = 0; i < 100000; i++) planted_counter++; /* unsynchronised on purpose */
    return NULL;
}

/* In a function of its own, so no stale copy of the pointer stays in main's frame. */
__attribute__((noinline)) static void leak(void) {
    char *volatile planted_leak = malloc(4242); /* never freed on purpose */
    planted_leak[0] = 1;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "thread") == 0) {
        pthread_t a, b;
        pthread_create(&a, NULL, bump, NULL);
        pthread_create(&b, NULL, bump, NULL);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        printf("%ld\n", planted_counter);
        return 0;
    }
    leak();
    return 0;
}
