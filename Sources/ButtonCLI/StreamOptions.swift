public import ArgumentParser

/// The two options every program that reads or writes the press topic takes: where Kafka
/// is and where the schema registry is. One declaration, so their names, help and variables
/// are the same in the sink, the enricher, the stats pool and the console consumer.
public struct StreamOptions: ParsableArguments {
    /// Kafka brokers, `host:port[,…]`; nil when not given.
    @Option(
        help: .environment(
            "Kafka brokers, host:port[,…].",
            "KAFKA_BOOTSTRAP_SERVERS",
            "KAFKA_BOOTSTRAP",
            valueName: "hosts"
        )
    )
    public var bootstrap: String?

    /// The schema registry's URL; nil when not given.
    @Option(help: .environment("The schema registry.", "SCHEMA_REGISTRY_URL", valueName: "url"))
    public var registry: String?

    public init() {}

    /// Records the given options for the variables the configurations read.
    public func apply(to overrides: inout EnvironmentOverrides) {
        overrides.set("KAFKA_BOOTSTRAP_SERVERS", replacing: ["KAFKA_BOOTSTRAP"], option: "--bootstrap", to: bootstrap)
        overrides.set("SCHEMA_REGISTRY_URL", option: "--registry", to: registry)
    }
}
