import Foundation

/// Runs a Python script of the tests over Kafka message values, the way the independent
/// decoders need them: each value written to one file as a 4-byte big-endian length and the
/// bytes, the script beside it in a temporary folder that is removed afterwards.
enum PythonMessages {
    /// - Parameters:
    ///   - script: the Python source.
    ///   - name: the script's file name (shows in Python's tracebacks).
    ///   - values: the message values.
    ///   - arguments: the script's arguments, given the path of the messages file.
    /// - Returns: what Debian's interpreter printed and its status (python3-avro and pydantic
    ///   are installed for it, not for other Pythons).
    static func run(
        _ script: String,
        name: String,
        values: [[UInt8]],
        arguments: (_ messagesFile: String) -> [String]
    ) throws -> Command.Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("python-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var blob = Data()
        for value in values {
            var length = UInt32(value.count).bigEndian
            blob.append(Data(bytes: &length, count: 4))
            blob.append(contentsOf: value)
        }
        let input = directory.appendingPathComponent("messages.bin")
        try blob.write(to: input)
        let scriptFile = directory.appendingPathComponent(name)
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)
        return try Command.run("/usr/bin/python3", [scriptFile.path] + arguments(input.path))
    }
}
