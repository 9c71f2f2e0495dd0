import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One of the project's executables as the build left it: beside the test bundle, in the same
/// build directory (`.build/debug` or `.build/release`), so these tests run the binaries that
/// were just built and need no stack.
struct BuiltExecutable {
    let name: String

    /// The build directory: where the running test bundle is.
    static var buildDirectory: URL {
        let path =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path).deletingLastPathComponent()
    }

    var path: String { Self.buildDirectory.appendingPathComponent(name).path }

    /// The outcome of one run.
    struct Result {
        let status: Int32
        let output: String
        let errors: String
        let seconds: Double
        /// It had to be killed at the time limit.
        let timedOut: Bool
    }

    /// Runs the executable with `arguments` and `environment` only (nothing inherited but PATH),
    /// killing it after `timeLimit`.
    func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        timeLimit: Duration = .seconds(30)
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        let killed = Atomic(false)
        let pid = process.processIdentifier
        let watchdog = Thread {
            let deadline = ContinuousClock.now + timeLimit
            while ContinuousClock.now < deadline {
                if kill(pid, 0) != 0 { return }
                Thread.sleep(forTimeInterval: 0.05)
            }
            killed.store(true, ordering: .relaxed)
            kill(pid, SIGKILL)
        }
        watchdog.start()
        let errorData = Mutex(Data())
        let errorsRead = DispatchSemaphore(value: 0)
        Thread {
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            errorData.withLock { $0 = data }
            errorsRead.signal()
        }.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        errorsRead.wait()
        process.waitUntilExit()
        let elapsed = ContinuousClock.now - start
        return Result(
            status: process.terminationStatus,
            output: String(decoding: outputData, as: UTF8.self),
            errors: String(decoding: errorData.withLock { $0 }, as: UTF8.self),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            timedOut: killed.load(ordering: .relaxed)
        )
    }

    /// A loopback TCP port nothing listens on: bound, read back, closed.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                guard bind(fd, pointer, length) == 0 else { return false }
                return getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
