import Foundation

/// Looks through everything the stack wrote to disk (logs, nginx logs) for a string.
public enum StackFiles {
    /// Every regular file under the run dir's log folders.
    public static func files(runDir: String) -> [String] {
        var files: [String] = []
        for root in ["\(runDir)/logs", "\(runDir)/nginx"] {
            guard let walker = FileManager.default.enumerator(atPath: root) else { continue }
            for case let relative as String in walker {
                let path = "\(root)/\(relative)"
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    files.append(path)
                }
            }
        }
        return files
    }

    /// The files under the run dir's log folders that contain `needle`.
    public static func filesContaining(_ needle: String, runDir: String) -> [String] {
        files(runDir: runDir).filter { path in
            FileManager.default.contents(atPath: path)?.range(of: Data(needle.utf8)) != nil
        }
    }

    /// Asks nginx for a path nobody else asks for and waits until it is in the access log:
    /// a positive control for absence checks on the logs. Once the marker, requested last,
    /// is on disk, everything the test did before it is too.
    /// - Returns: The files holding the marker (empty when it never showed up).
    public static func markLogs(
        appURL: String,
        runDir: String,
        within: Duration = .seconds(10)
    ) async throws
        -> [String]
    {
        let marker = "/log-marker-\(UUID().uuidString.lowercased())"
        _ = try await HTTP.send("GET", appURL + marker)
        let deadline = ContinuousClock.now + within
        while true {
            let hits = filesContaining(marker, runDir: runDir)
            if !hits.isEmpty || ContinuousClock.now > deadline { return hits }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
