public import Foundation
import Synchronization

/// Runs a program to completion and captures what it printed.
public enum Command {
    /// The outcome of one run.
    public struct Result: Sendable {
        public let status: Int32
        /// Standard output as bytes (for binary output).
        public let outputData: Data
        public let errors: String
        /// Standard output as text.
        public var output: String { String(decoding: outputData, as: UTF8.self) }
    }

    /// Runs `executable` with `arguments`.
    /// - Parameters:
    ///   - environment: variables added to (or replacing) this process's environment.
    ///   - inheritEnvironment: start from this process's environment (default) or an empty one.
    ///   - input: bytes for standard input (none by default).
    /// - Throws: when the program can't be started.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        inheritEnvironment: Bool = true,
        input: Data? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment =
            inheritEnvironment ? ProcessInfo.processInfo.environment.merging(environment) { $1 } : environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        if let input {
            let pipe = Pipe()
            process.standardInput = pipe
            try process.run()
            pipe.fileHandleForWriting.write(input)
            try pipe.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        // Read both pipes at once: a program filling one while we wait on the other would block.
        let errorData = Mutex(Data())
        let errorsRead = DispatchSemaphore(value: 0)
        Thread {
            errorData.withLock { $0 = errors.fileHandleForReading.readDataToEndOfFile() }
            errorsRead.signal()
        }.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        errorsRead.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            outputData: outputData,
            errors: String(decoding: errorData.withLock { $0 }, as: UTF8.self)
        )
    }
}
