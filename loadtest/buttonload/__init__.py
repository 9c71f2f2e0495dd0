"""The load test of the local stack: drive presses through nginx, then reconcile every
acknowledged press against Kafka, PostgreSQL and ClickHouse (see loadtest/run --help)."""
