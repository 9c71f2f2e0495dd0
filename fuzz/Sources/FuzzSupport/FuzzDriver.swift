#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's entry point for programs that have their own `main`; linked in by
/// `-sanitize=fuzzer`. Declared here because libFuzzer ships no Swift module.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// What every harness shares: running libFuzzer, copying its input, checking an oracle.
public enum FuzzDriver {
    /// Runs libFuzzer with the process's arguments and exits with its status.
    ///
    /// SwiftPM links an executable with `--defsym main=<module>_main`, which a file that
    /// only defines `LLVMFuzzerTestOneInput` never provides; so each harness has an `@main`
    /// that calls this.
    ///
    /// With `FUZZ_WRITE_SEEDS=<dir>` in the environment it writes `seeds()` there instead
    /// (one file each, `seed-NN`) and exits: the committed corpus is made by the project's
    /// own encoders and codecs, and `fuzz/run --write-seeds` can make it again.
    /// - Parameters:
    ///   - callback: the harness's `LLVMFuzzerTestOneInput`.
    ///   - seeds: the harness's seed inputs.
    public static func run(
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt,
        seeds: () -> [[UInt8]] = { [] }
    ) -> Never {
        if let directory = getenv("FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) {
            exit(writeSeeds(seeds(), to: directory, check: callback))
        }
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
    }

    /// Writes each seed to its own file, after running the harness on it (a seed that
    /// trips an oracle is a bug found, not a seed).
    static func writeSeeds(
        _ seeds: [[UInt8]],
        to directory: String,
        check: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt {
        for (index, seed) in seeds.enumerated() {
            _ = seed.withUnsafeBufferPointer { check($0.baseAddress, $0.count) }
            let path = directory + "/" + (index < 10 ? "seed-0\(index)" : "seed-\(index)")
            guard let file = fopen(path, "wb") else {
                FuzzDriver.printError("cannot write \(path)\n")
                return 1
            }
            let written = seed.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
            guard written == seed.count else {
                FuzzDriver.printError("short write to \(path)\n")
                return 1
            }
        }
        return 0
    }

    /// Writes to standard error (Glibc's `stderr` is a global that Swift 6 refuses).
    public static func printError(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    /// The input as an array (libFuzzer may pass a null pointer for the empty input).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }
}

/// Aborts when an oracle fails, so libFuzzer records the input as a crash.
///
/// Harnesses must not print their input: a future harness might see addresses.
/// - Parameters:
///   - condition: the property that must hold.
///   - what: which property, for the crash report.
public func require(
    _ condition: Bool,
    _ what: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    guard condition else {
        FuzzDriver.printError("fuzz oracle failed at \(file):\(line): \(what())\n")
        abort()
    }
}

/// Aborts when an oracle fails with an error that must not happen.
public func requireNoThrow<T>(
    _ what: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line,
    _ body: () throws -> T
) -> T {
    do {
        return try body()
    } catch {
        FuzzDriver.printError("fuzz oracle failed at \(file):\(line): \(what()): \(error)\n")
        abort()
    }
}
