/// Kafka protocol request types by name (the `ApiKey` of each request), for fault injection.
enum KafkaAPI {
    private static let keys: [String: Int16] = [
        "Produce": 0, "Fetch": 1, "ListOffsets": 2, "Metadata": 3, "LeaderAndIsr": 4, "StopReplica": 5,
        "UpdateMetadata": 6, "ControlledShutdown": 7, "OffsetCommit": 8, "OffsetFetch": 9,
        "FindCoordinator": 10, "JoinGroup": 11, "Heartbeat": 12, "LeaveGroup": 13, "SyncGroup": 14,
        "DescribeGroups": 15, "ListGroups": 16, "SaslHandshake": 17, "ApiVersions": 18, "CreateTopics": 19,
        "DeleteTopics": 20, "DeleteRecords": 21, "InitProducerId": 22, "OffsetForLeaderEpoch": 23,
        "AddPartitionsToTxn": 24, "AddOffsetsToTxn": 25, "EndTxn": 26, "WriteTxnMarkers": 27,
        "TxnOffsetCommit": 28, "DescribeAcls": 29, "CreateAcls": 30, "DeleteAcls": 31, "DescribeConfigs": 32,
        "AlterConfigs": 33, "AlterReplicaLogDirs": 34, "DescribeLogDirs": 35, "SaslAuthenticate": 36,
        "CreatePartitions": 37, "CreateDelegationToken": 38, "RenewDelegationToken": 39,
        "ExpireDelegationToken": 40, "DescribeDelegationToken": 41, "DeleteGroups": 42, "ElectLeaders": 43,
        "IncrementalAlterConfigs": 44, "AlterPartitionReassignments": 45, "ListPartitionReassignments": 46,
        "OffsetDelete": 47,
    ]

    /// The ApiKey for a request name (case-insensitive, e.g. `Produce`, `produce`) or a number.
    static func key(named name: String) -> Int16? {
        if let number = Int16(name), number >= 0 { return number }
        let lower = name.lowercased()
        return keys.first { $0.key.lowercased() == lower }?.value
    }

    /// All known names, sorted by ApiKey, for error messages.
    static var names: [String] { keys.sorted { $0.value < $1.value }.map(\.key) }
}
