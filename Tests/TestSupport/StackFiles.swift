import Foundation

/// Looks through everything the stack wrote to disk (logs, nginx logs) for a string.
public enum StackFiles {
    /// The files under the run dir's log folders that contain `needle`.
    public static func filesContaining(_ needle: String, runDir: String) -> [String] {
        let roots = ["\(runDir)/logs", "\(runDir)/nginx"]
        var hits: [String] = []
        for root in roots {
            guard let walker = FileManager.default.enumerator(atPath: root) else { continue }
            for case let relative as String in walker {
                let path = "\(root)/\(relative)"
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    let data = FileManager.default.contents(atPath: path)
                else { continue }
                if data.range(of: Data(needle.utf8)) != nil { hits.append(path) }
            }
        }
        return hits
    }
}
