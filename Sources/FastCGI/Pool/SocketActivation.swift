/// Where the master's listening socket comes from when someone else opened it.
///
/// Two conventions: systemd's socket activation (`LISTEN_FDS` sockets from descriptor 3,
/// meant for the process whose pid is `LISTEN_PID`; sd_listen_fds(3)), and the FastCGI
/// one that spawn-fcgi and web servers that start their own FastCGI applications follow:
/// the listening socket on descriptor 0 (`FCGI_LISTENSOCK_FILENO`).
public enum SocketActivation {
    /// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
    public static let firstSystemdDescriptor: Int32 = 3
    /// The FastCGI convention's descriptor (`FCGI_LISTENSOCK_FILENO`).
    public static let fastCGIDescriptor: Int32 = 0
    /// The variables systemd sets; removed before workers start.
    public static let systemdVariables = ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"]

    /// Reads systemd's variables.
    /// - Parameters:
    ///   - environment: the process environment.
    ///   - pid: this process's id.
    /// - Returns: the descriptor to listen on, or nil when systemd passed nothing to this
    ///   process (no `LISTEN_FDS`, or a `LISTEN_PID` naming another process).
    /// - Throws: `FastCGIError.invalidAddress` when the variables are malformed or pass more
    ///   than one socket (the pool serves one).
    public static func systemdDescriptor(environment: [String: String], pid: Int32) throws(FastCGIError) -> Int32? {
        guard let countText = environment["LISTEN_FDS"], !countText.isEmpty else { return nil }
        guard let count = Int(countText), count >= 0 else {
            throw FastCGIError(.invalidAddress, "LISTEN_FDS must be a number of descriptors, not '\(countText)'")
        }
        // Without LISTEN_PID the variables may have been inherited from a parent: not ours.
        guard let pidText = environment["LISTEN_PID"], let target = Int32(pidText) else {
            if environment["LISTEN_PID"] == nil { return nil }
            throw FastCGIError(.invalidAddress, "LISTEN_PID must be a process id")
        }
        guard target == pid else { return nil }
        switch count {
        case 0: return nil
        case 1: return firstSystemdDescriptor
        default:
            throw FastCGIError(
                .invalidAddress,
                "systemd passed \(count) sockets (LISTEN_FDS); the pool serves one: give the .socket unit one ListenStream"
            )
        }
    }
}
