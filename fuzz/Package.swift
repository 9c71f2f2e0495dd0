// swift-tools-version:6.0
import PackageDescription

// The fuzz harnesses: a package of their own, so the root package's `swift build` and
// scripts/test never see them (they only link under `-sanitize=fuzzer`, see fuzz/run).
// The root package is a path dependency named "Button" so the product references below
// do not depend on the name of the checkout's directory.

let button = "Button"

/// One executable per harness: `@_cdecl("LLVMFuzzerTestOneInput")` plus an `@main` that
/// hands control to libFuzzer (SwiftPM's link line wants `<module>_main`).
func harness(_ name: String, _ products: [String], logging: Bool = false) -> Target {
    .executableTarget(
        name: "fuzz-\(name)",
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: button) }
            + (logging ? [.product(name: "Logging", package: "swift-log")] : []),
        path: "Sources/\(name)"
    )
}

let package = Package(
    name: "ButtonFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: button, path: ".."),
        // The same version the root package asks for; the registry and press harnesses
        // give their services a no-op logger.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(name: "FuzzSupport"),
        harness("session-cookie", ["Session"]),
        harness("avro-event", ["Avro", "ButtonEvents"]),
        harness("avro-schema", ["Avro", "ButtonEvents"]),
        harness("avro-any", ["Avro", "ButtonEvents"]),
        harness("confluent-frame", ["Avro", "ButtonEvents"]),
        harness("ip-address", ["Geolocation"]),
        harness("fcgi-params", ["FastCGI"]),
        harness("registry-router", ["SchemaRegistryServer", "FastCGI", "ButtonEvents"], logging: true),
        harness("stats-request", ["Stats"]),
        harness(
            "press-request",
            ["ButtonFCGI", "ButtonEvents", "Avro", "FastCGI", "Geolocation", "Session"],
            logging: true
        ),
    ]
)
