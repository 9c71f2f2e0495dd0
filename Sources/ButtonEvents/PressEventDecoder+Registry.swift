public import SchemaRegistry

extension PressEventDecoder {
    /// A decoder that fetches writer schemas from a schema registry, as every reader of the
    /// topic does (the sink, the enricher, the console consumer); an id the registry answers
    /// 404 for is an unknown schema, so its message is a dead letter rather than retried.
    /// - Parameter registry: The registry client.
    public init(registry: SchemaRegistryClient) {
        self.init(
            fetchSchema: { try await registry.schema(id: Int($0)) },
            isUnknownSchema: { ($0 as? RegistryError)?.status == 404 }
        )
    }
}
