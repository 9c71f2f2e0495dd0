import Foundation
import TestSupport
import Testing

/// Each executable links only the C libraries it uses: the registry's client is split from its
/// server, so the press worker loads no libpq and the console consumer neither libpq nor libfcgi.
///
/// Reads the executables built next to this test bundle (`swift build --build-tests` builds
/// them all), or in `$BUTTON_BIN_DIR`. Needs no stack.
@Suite struct LinkedLibrariesTests {
    @Test func pressWorkerLinksNoLibpq() throws {
        let libraries = try Self.libraries(of: "button-fcgi")
        // Positive controls: ldd was read, and it lists what the worker does use.
        #expect(libraries.contains { $0.hasPrefix("librdkafka.so") }, "\(libraries)")
        #expect(libraries.contains { $0.hasPrefix("libfcgi.so") }, "\(libraries)")
        #expect(!libraries.contains { $0.hasPrefix("libpq.so") }, "\(libraries)")
    }

    @Test func consoleConsumerLinksNeitherLibpqNorLibfcgi() throws {
        let libraries = try Self.libraries(of: "button-consume")
        #expect(libraries.contains { $0.hasPrefix("librdkafka.so") }, "\(libraries)")
        #expect(!libraries.contains { $0.hasPrefix("libpq.so") }, "\(libraries)")
        #expect(!libraries.contains { $0.hasPrefix("libfcgi.so") }, "\(libraries)")
    }

    /// The check can see libpq and libfcgi where they belong.
    @Test func registryLinksLibpqAndLibfcgiButNotLibrdkafka() throws {
        let libraries = try Self.libraries(of: "button-registry")
        #expect(libraries.contains { $0.hasPrefix("libpq.so") }, "\(libraries)")
        #expect(libraries.contains { $0.hasPrefix("libfcgi.so") }, "\(libraries)")
        #expect(!libraries.contains { $0.hasPrefix("librdkafka.so") }, "\(libraries)")
    }

    /// Where SwiftPM put the executables: the folder of the running test bundle, which
    /// `swift test` runs from the build's bin path whatever the triple or configuration.
    static var binDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["BUTTON_BIN_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// The sonames `ldd` lists for an executable (e.g. `libpq.so.5`).
    static func libraries(of executable: String) throws -> [String] {
        let path = binDirectory.appendingPathComponent(executable).path
        try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is not built")
        let result = try Command.run("/usr/bin/ldd", [path])
        try #require(result.status == 0, "ldd failed: \(result.errors)")
        let libraries = result.output.split(separator: "\n").compactMap { line in
            line.split(whereSeparator: \.isWhitespace).first.map(String.init)
        }
        try #require(libraries.contains { $0.hasPrefix("libc.so") }, "ldd listed nothing: \(result.output)")
        return libraries
    }
}
