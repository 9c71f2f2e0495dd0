/// Which brokers a control command addresses.
enum BrokerTarget: Equatable, Sendable {
    case broker(Int32)
    case all

    static func parse(_ text: String) -> BrokerTarget? {
        if text == "all" { return .all }
        guard let id = Int32(text), id >= 1 else { return nil }
        return .broker(id)
    }
}

/// One line of the control protocol, parsed. Pure: no sockets, no broker.
enum ControlCommand: Equatable, Sendable {
    case ping
    case topics
    case create(topic: String, partitions: Int)
    case down(BrokerTarget)
    case up(BrokerTarget)
    case rtt(BrokerTarget, milliseconds: Int)
    case errors(api: String, count: Int, error: String)

    static let summary =
        "ping, topics, create TOPIC PARTITIONS, down ID|all, up ID|all, rtt ID|all MS, "
        + "errors API COUNT ERROR_NAME"

    /// Parses a line, or returns the `error: …` reply explaining why it can't.
    static func parse(_ line: String) -> Result<ControlCommand, ControlCommandError> {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
        guard let verb = words.first else {
            return .failure(ControlCommandError("empty command; commands: \(summary)"))
        }
        let arguments = Array(words.dropFirst())
        switch (verb.lowercased(), arguments.count) {
        case ("ping", 0):
            return .success(.ping)
        case ("topics", 0):
            return .success(.topics)
        case ("create", 2):
            guard TopicName.isValid(arguments[0]) else {
                return .failure(ControlCommandError("invalid topic name \"\(arguments[0])\""))
            }
            guard let partitions = Int(arguments[1]), (1...1000).contains(partitions) else {
                return .failure(ControlCommandError("partitions must be a number from 1 to 1000"))
            }
            return .success(.create(topic: arguments[0], partitions: partitions))
        case ("down", 1), ("up", 1):
            guard let target = BrokerTarget.parse(arguments[0]) else {
                return .failure(
                    ControlCommandError("broker must be an id (from 1) or \"all\", not \"\(arguments[0])\"")
                )
            }
            return .success(verb.lowercased() == "down" ? .down(target) : .up(target))
        case ("rtt", 2):
            guard let target = BrokerTarget.parse(arguments[0]) else {
                return .failure(
                    ControlCommandError("broker must be an id (from 1) or \"all\", not \"\(arguments[0])\"")
                )
            }
            guard let milliseconds = Int(arguments[1]), (0...600_000).contains(milliseconds) else {
                return .failure(ControlCommandError("rtt must be 0 to 600000 milliseconds"))
            }
            return .success(.rtt(target, milliseconds: milliseconds))
        case ("errors", 3):
            guard let count = Int(arguments[1]), (1...10_000).contains(count) else {
                return .failure(ControlCommandError("count must be a number from 1 to 10000"))
            }
            return .success(.errors(api: arguments[0], count: count, error: arguments[2]))
        case ("ping", _), ("topics", _), ("create", _), ("down", _), ("up", _), ("rtt", _), ("errors", _):
            return .failure(ControlCommandError("wrong arguments for \(verb); commands: \(summary)"))
        default:
            let shown = verb.count > 40 ? String(verb.prefix(40)) + "…" : verb
            return .failure(ControlCommandError("unknown command \"\(shown)\"; commands: \(summary)"))
        }
    }
}

/// Why a control line was refused; becomes the reply `error: <message>`.
struct ControlCommandError: Error, Equatable, Sendable {
    let message: String

    init(_ message: String) {
        self.message = message
    }
}
