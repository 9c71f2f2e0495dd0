internal import CFastCGI
public import Logging
import POSIXSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Settings of one FastCGI server process.
public struct FastCGIServerConfiguration: Sendable {
    /// Threads accepting and answering requests; each holds one connection at a time.
    public var threads: Int
    /// Largest request body read into memory; larger bodies are drained and flagged.
    public var maxBodyBytes: Int
    /// Requests after which the server stops gracefully, so the pool's master replaces the
    /// process (PHP-FPM's `pm.max_requests`: bounds what a slow leak can grow to); 0: never.
    public var maxRequests: Int
    /// How long a drain keeps serving the connections the web server keeps open to this
    /// process, waiting for the web server to close each of them, before cutting the rest.
    /// Zero cuts them at once: the web server may just have written a request on one, and
    /// it never retries a POST. Choose it above nginx's upstream `keepalive_time` (plus
    /// `keepalive_timeout` and a request's longest time), which bound how long nginx keeps a
    /// connection.
    public var drainTimeout: Duration
    /// The longest a thread waits on one connection for a whole request to arrive (the
    /// idle wait on a kept connection included) or for an answer to be taken; past it the
    /// connection is shut down and the thread freed. nil: no bound.
    ///
    /// Why: libfcgi reads with no timeout, so a peer that sends half a record, or a record a
    /// byte a second, would hold a thread for as long as it likes. Choose it above the web
    /// server's idle bound on the connections it keeps (nginx's upstream
    /// `keepalive_timeout`), so that the web server always closes an idle kept connection
    /// first: a connection this side closes may just have been given a request.
    public var readTimeout: Duration?

    /// - Parameters:
    ///   - threads: request threads (default 16).
    ///   - maxBodyBytes: body limit (default 64 KiB).
    ///   - maxRequests: recycle after this many requests (default 0: never).
    ///   - drainTimeout: how long a drain waits for the web server to close its kept
    ///     connections (default zero: cut them at once).
    ///   - readTimeout: how long a request may take to arrive, or an answer to be taken
    ///     (default nil: no bound); at least 10 ms.
    public init(
        threads: Int = 16,
        maxBodyBytes: Int = 64 * 1024,
        maxRequests: Int = 0,
        drainTimeout: Duration = .zero,
        readTimeout: Duration? = nil
    ) {
        self.threads = max(1, threads)
        self.maxBodyBytes = max(0, maxBodyBytes)
        self.maxRequests = max(0, maxRequests)
        self.drainTimeout = max(.zero, drainTimeout)
        self.readTimeout = readTimeout.map { max(.milliseconds(10), $0) }
    }
}

/// A multi-threaded libfcgi responder on one listening socket.
///
/// `run` blocks until `stop()` is called or the process gets SIGTERM/SIGINT; then it drains
/// (see `stop()`) and returns.
public final class FastCGIServer: Sendable {
    private let listenFD: Int32
    private let configuration: FastCGIServerConfiguration
    private let logger: Logger
    /// A `Phase`'s raw value.
    private let phase = Atomic<Int>(Phase.serving.rawValue)
    private let served = Atomic<Int>(0)
    /// Request threads started and not yet exited.
    private let running = Atomic<Int>(0)
    /// Connections the web server keeps open to this process, between requests or in one.
    private let kept = Atomic<Int>(0)
    /// Kept connections closed by this side because the drain's deadline passed.
    private let cut = Atomic<Int>(0)
    /// Connections shut down because a request or an answer took longer than `readTimeout`.
    private let timedOut = Atomic<Int>(0)
    /// Rung when a drain starts and when a request thread exits, so `run` can keep the
    /// drain's deadline.
    private let doorbell = Doorbell()
    /// `maxRequests` plus up to 10 % more, different in each process, so workers started
    /// together don't all recycle at the same moment (gunicorn's max_requests_jitter).
    private let requestLimit: Int
    private let slots: [ThreadSlot]

    /// Serves on an already listening socket, e.g. one inherited from the master process.
    /// - Parameters:
    ///   - listenFD: a listening socket.
    ///   - configuration: threads and limits.
    ///   - logger: where server events go.
    public init(listenFD: Int32, configuration: FastCGIServerConfiguration, logger: Logger) {
        self.listenFD = listenFD
        self.configuration = configuration
        self.logger = logger
        self.slots = (0..<configuration.threads).map { _ in ThreadSlot() }
        let limit = configuration.maxRequests
        self.requestLimit = limit == 0 ? 0 : limit + Int(getpid()) % max(1, limit / 10)
    }

    /// Where the server stands; it only moves forward.
    private enum Phase: Int {
        /// Accepting new connections.
        case serving
        /// Accepting none; answering requests on the connections the web server keeps, until
        /// it closes each one.
        case draining
        /// Waiting for nothing: threads leave after their request in progress, kept
        /// connections are closed.
        case closing
    }

    private var currentPhase: Phase { Phase(rawValue: phase.load(ordering: .acquiring)) ?? .closing }

    /// Opens `address` and serves on it.
    ///
    /// For a TCP address this sets `FCGI_WEB_SERVER_ADDRS` in this process (see `ListenAccess`).
    /// - Throws: `FastCGIError` when the socket cannot be opened or its access settings are invalid.
    public convenience init(
        listeningOn address: ListenAddress,
        access: ListenAccess = ListenAccess(),
        backlog: Int32 = 1024,
        configuration: FastCGIServerConfiguration,
        logger: Logger
    ) throws {
        let fd = try Self.openListenSocket(address, access: access, backlog: backlog)
        self.init(listenFD: fd, configuration: configuration, logger: logger)
    }

    /// Opens a listening socket for a pool of worker processes to share.
    ///
    /// A unix socket gets `access`'s mode and group. For a TCP address the allowed peers are
    /// resolved first and exported as `FCGI_WEB_SERVER_ADDRS`, which the server reads in every
    /// process started from this one (libfcgi's variable: its accept would check it too).
    /// - Throws: `FastCGIError` when the socket cannot be opened, or `.invalidAccess` when a
    ///   TCP listener has no list of allowed peers (see `ListenAccess.webServerAddresses(for:)`).
    public static func openListenSocket(
        _ address: ListenAddress,
        access: ListenAccess = ListenAccess(),
        backlog: Int32 = 1024
    ) throws(FastCGIError) -> Int32 {
        if let peers = try access.webServerAddresses(for: address) {
            setenv(ListenAccess.webServerAddressesVariable, peers, 1)
        }
        return try ListenSocket.open(address, backlog: backlog, access: access)
    }

    /// Blocks SIGTERM, SIGINT (and the internal wake-up SIGUSR2) in the calling thread and in
    /// every thread it creates afterwards.
    ///
    /// Call it first thing in a worker, before any library starts threads (librdkafka,
    /// Foundation): a process-directed SIGTERM goes to some thread that does not block it,
    /// and only `run`'s signal thread may take it, or the worker never drains.
    public static func blockTerminationSignals() {
        do {
            try Self.signalThreadSignals.block()
        } catch {
            // pthread_sigmask fails only for an invalid "how", which is a constant here.
            preconditionFailure("\(error)")
        }
    }

    private static let signalThreadSignals = SignalSet(SignalSet.termination + [SIGUSR2])

    /// Serves until stopped, then drains (see `stop()`).
    /// - Parameters:
    ///   - handlingSignals: when true, SIGTERM and SIGINT stop the server gracefully.
    ///   - onDrain: called once when the server stops accepting, a drain or a cut at once (e.g.
    ///     to show it on a status page).
    ///   - makeHandler: builds the handler for thread `index`, on that thread.
    /// - Throws: `FastCGIError.libraryFailed` when libfcgi cannot start, `.invalidAccess`
    ///   when a TCP listener has no `FCGI_WEB_SERVER_ADDRS`, `.systemCallFailed` when
    ///   threads or signal handling cannot be set up.
    public func run(
        handlingSignals: Bool = true,
        onDrain: @escaping @Sendable () -> Void = {},
        makeHandler: @escaping @Sendable (Int) throws -> any FastCGIHandler
    ) throws {
        let peers = try checkPeerRestriction()
        try libfcgiCall("FCGX_Init") { FCGX_Init() }
        do {
            // After FCGX_Init, which installs its own handler for the same signal.
            try SignalHandling.installInterruptHandler(wakeSignal)
            var signalThread: NativeThread?
            if handlingSignals {
                // Threads inherit the mask; one thread collects the signals with sigwait, because
                // libfcgi's own SIGTERM handler only sets a flag that a blocked accept never sees.
                try Self.signalThreadSignals.block()
                signalThread = try NativeThread(stackSize: 64 * 1024) { [self] in
                    let signal = (try? Self.signalThreadSignals.wait()) ?? SIGUSR2
                    if signal != SIGUSR2 {
                        logger.info("signal received, draining", metadata: ["signal": "\(signal)"])
                    }
                    stop(onDrain: onDrain)
                }
            }
            var threads: [NativeThread] = []
            defer {
                awaitDrain()
                for thread in threads { thread.join() }
                if let signalThread {
                    // Wake the signal thread if we stopped for another reason; blocked everywhere,
                    // so a SIGUSR2 nobody waits for stays pending instead of killing the process.
                    try? SignalHandling.raiseInProcess(SIGUSR2)
                    signalThread.join()
                }
            }
            do {
                for index in 0..<configuration.threads {
                    running.add(1, ordering: .acquiringAndReleasing)
                    do {
                        threads.append(
                            try NativeThread { [self] in
                                serveLoop(index: index, peers: peers, onDrain: onDrain, makeHandler: makeHandler)
                            }
                        )
                    } catch {
                        running.subtract(1, ordering: .acquiringAndReleasing)
                        throw error
                    }
                }
            } catch {
                logger.error("cannot start request threads; stopping", metadata: ["error": "\(error)"])
                stop(onDrain: onDrain)
                throw error
            }
            logger.info("serving", metadata: ["threads": "\(configuration.threads)"])
            WorkerPool.notifyReady()
        } catch let error as SystemError {
            throw FastCGIError(.systemCallFailed, "\(error)")
        }
        logger.info("stopped")
    }

    /// Refuses to serve a TCP socket that libfcgi would let anyone reach: IPv4 needs
    /// `FCGI_WEB_SERVER_ADDRS`, IPv6 peers libfcgi does not check at all.
    /// - Returns: for an IPv4 listener, the peers allowed to connect; nil for a unix socket.
    private func checkPeerRestriction() throws(FastCGIError) -> PeerList? {
        let family: Int32
        do {
            family = try Socket.family(of: listenFD)
        } catch {
            throw FastCGIError(.listenFailed, "the listening descriptor \(listenFD) is not a socket: \(error)")
        }
        switch family {
        case AF_INET:
            let peers = getenv(ListenAccess.webServerAddressesVariable).map { String(cString: $0) } ?? ""
            guard !peers.isEmpty else {
                throw FastCGIError(
                    .invalidAccess,
                    "a TCP listener needs \(ListenAccess.webServerAddressesVariable): the nginx hosts allowed to connect"
                )
            }
            return PeerList(peers)
        case AF_INET6:
            throw FastCGIError(
                .invalidAccess,
                "libfcgi restricts IPv4 peers only: listen on an IPv4 address or a unix socket"
            )
        default:
            return nil
        }
    }

    /// Drains: stops accepting new connections at once, and keeps answering the requests
    /// that arrive on the connections the web server keeps open to this process until it
    /// closes each of them; a thread leaves when its connection is closed. Once
    /// `drainTimeout` has passed (at once when it is zero), the connections still kept are
    /// closed from this side and their number is logged.
    ///
    /// Why wait for the web server: only it knows whether it is about to write the next
    /// request on a kept connection. nginx never writes on a connection it has closed, and
    /// closes them itself after `keepalive_time`, `keepalive_requests` or an idle
    /// `keepalive_timeout`; a connection this side closes may already carry a request that
    /// nginx then answers with 502, never retrying a POST.
    ///
    /// Returns once no thread waits for a new connection; `run` returns when every thread
    /// has left. The listening socket itself stays open: it is shared with the other worker
    /// processes, which keep accepting.
    ///
    /// Threads waiting for a new connection are woken by a signal alone, never by shutting a
    /// descriptor down: libfcgi closes a thread's connection inside `FCGX_Accept_r`, so a
    /// descriptor number seen before the call may by now belong to another thread's new
    /// connection. Threads waiting on a kept connection are left alone until the deadline:
    /// an interrupted read makes libfcgi close the connection. One window remains, as it
    /// always has: a thread whose accept returns a new connection just as the signal lands,
    /// before the web server has written its request, drops that connection (nginx writes
    /// the request right after connecting, so the read rarely waits).
    public func stop() { stop(onDrain: {}) }

    private func stop(onDrain: () -> Void) {
        let next: Phase = configuration.drainTimeout > .zero ? .draining : .closing
        guard
            phase.compareExchange(
                expected: Phase.serving.rawValue,
                desired: next.rawValue,
                ordering: .acquiringAndReleasing
            ).exchanged
        else { return }
        doorbell.ring()
        onDrain()
        guard next == .draining else {
            wakeEveryWaitingThread()
            return
        }
        logger.info(
            "draining: no new connections; answering on the kept ones until the web server closes them",
            metadata: [
                "kept": "\(kept.load(ordering: .relaxed))", "deadline": "\(configuration.drainTimeout)",
            ]
        )
        WorkerPool.notifyDraining()
        wakeThreads { $0 == .accepting }
    }

    /// The drain's deadline: the connections still kept are closed from this side.
    private func closeConnections() {
        guard
            phase.compareExchange(
                expected: Phase.draining.rawValue,
                desired: Phase.closing.rawValue,
                ordering: .acquiringAndReleasing
            ).exchanged
        else { return }
        wakeEveryWaitingThread()
    }

    /// Once closing: no thread waits for anything any more, so every one leaves after the
    /// request it is answering (closing its connection).
    ///
    /// Without `FCGX_ShutdownPending`: that flag is global to the process and never cleared,
    /// and it is not needed. A woken accept (the thread's own) returns EINTR; a woken read on a
    /// kept connection makes libfcgi close it and try to accept on no socket (see
    /// `serveLoop`), which returns at once.
    private func wakeEveryWaitingThread() {
        doorbell.ring()
        wakeThreads { $0 != .none }
    }

    /// Signals every thread whose wait matches, until none waits so: a thread may be between
    /// marking its wait and entering the blocking call when the signal lands, so repeat.
    private func wakeThreads(_ matching: (ThreadSlot.Wait) -> Bool) {
        while true {
            var anyWaiting = false
            for slot in slots where slot.wake(ifWaiting: matching) { anyWaiting = true }
            if !anyWaiting { break }
            sleepUninterrupted(for: .milliseconds(10))
        }
    }

    /// Blocks until every request thread has left, keeping the drain's deadline.
    private func awaitDrain() {
        while currentPhase == .serving && running.load(ordering: .acquiring) > 0 {
            doorbell.wait(timeout: watchInterval)
            cutSlowConnections()
        }
        // Every thread left without a stop (none could start a handler): nothing to drain.
        guard currentPhase != .serving else { return }
        let started = ContinuousClock.now
        let deadline = started + configuration.drainTimeout
        let keptAtStart = kept.load(ordering: .relaxed)
        var deadlinePassed = false
        while running.load(ordering: .acquiring) > 0 {
            if currentPhase == .draining {
                let now = ContinuousClock.now
                if now >= deadline {
                    deadlinePassed = true
                    closeConnections()
                } else {
                    doorbell.wait(timeout: min(now.duration(to: deadline), watchInterval ?? .seconds(3600)))
                }
            } else {
                doorbell.wait(timeout: watchInterval)
            }
            cutSlowConnections()
        }
        guard configuration.drainTimeout > .zero else { return }
        let seconds = "\(started.duration(to: .now))"
        if deadlinePassed {
            logger.warning(
                "drain deadline passed: kept connections cut",
                metadata: [
                    "connections": "\(cut.load(ordering: .relaxed))", "kept": "\(keptAtStart)",
                    "seconds": "\(seconds)",
                ]
            )
        } else {
            logger.info(
                "drained: the web server closed every kept connection",
                metadata: ["kept": "\(keptAtStart)", "seconds": "\(seconds)"]
            )
        }
    }

    /// Whether `stop()` has been called.
    public var isStopping: Bool { currentPhase != .serving }

    /// Connections shut down so far because a request took longer than `readTimeout` to
    /// arrive or an answer to be taken.
    public var connectionsTimedOut: Int { timedOut.load(ordering: .relaxed) }

    /// How often `run`'s thread looks for connections past `readTimeout`: a quarter of it,
    /// at most a second, so a connection is cut within 1.25 × the bound (nil: never).
    private var watchInterval: Duration? {
        configuration.readTimeout.map { min(.seconds(1), max(.milliseconds(5), $0 / 4)) }
    }

    /// Shuts down every connection whose request (or answer) has taken longer than
    /// `readTimeout`. The thread blocked on it then reads an end of file, libfcgi closes
    /// the connection, and the thread goes back to accepting.
    private func cutSlowConnections() {
        guard let limit = configuration.readTimeout else { return }
        let startedBefore = ContinuousClock.now - limit
        var count = 0
        for slot in slots where slot.cutConnection(ifWaitingSince: startedBefore) { count += 1 }
        guard count > 0 else { return }
        timedOut.add(count, ordering: .relaxed)
        logger.warning(
            "connection cut: no whole request (or answer taken) within the read timeout",
            metadata: ["connections": "\(count)", "timeout": "\(limit)"]
        )
    }

    private func serveLoop(
        index: Int,
        peers: PeerList?,
        onDrain: () -> Void,
        makeHandler: @Sendable (Int) throws -> any FastCGIHandler
    ) {
        let slot = slots[index]
        defer {
            slot.markExited()
            running.subtract(1, ordering: .acquiringAndReleasing)
            doorbell.ring()
        }
        var handler: any FastCGIHandler
        do {
            handler = try makeHandler(index)
        } catch {
            logger.error("cannot create handler; thread exits", metadata: ["error": "\(error)"])
            return
        }
        // The creating thread's mask is inherited, and some creators block everything (a
        // libdispatch worker does): the wake signal must reach this thread or stop() waits forever.
        do {
            try SignalSet([wakeSignal]).unblock()
        } catch {
            logger.error("cannot unblock the wake signal; thread exits", metadata: ["error": "\(error)"])
            return
        }
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        do {
            try libfcgiCall("FCGX_InitRequest") { FCGX_InitRequest(request, -1, 0) }
        } catch {
            logger.error("cannot set up a request; thread exits", metadata: ["error": "\(error)"])
            return
        }
        // Whether this thread's connection is kept, as last counted in `kept`.
        var holding = false
        defer {
            // Leaving with a kept connection while closing cuts it.
            if request.pointee.ipcFd >= 0 && currentPhase == .closing { cut.add(1, ordering: .relaxed) }
            if holding { kept.subtract(1, ordering: .relaxed) }
            FCGX_Free(request, 1)
            slot.releaseConnection()
        }
        slot.setThread(pthread_self())
        // One read buffer and one header buffer per thread, reused for every request.
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var head: [UInt8] = []
        head.reserveCapacity(1024)
        serving: while true {
            let onKeptConnection = request.pointee.ipcFd >= 0
            if !onKeptConnection {
                // This thread accepts, not libfcgi: so it knows the connection, and a copy of
                // its descriptor lets `run`'s thread shut it down past `readTimeout` (libfcgi
                // may close and reuse the number itself at any moment; the copy stays ours).
                guard slot.enter(.accepting, if: { Self.mayWait(.accepting, in: currentPhase) }) else {
                    break serving
                }
                let accepted = Self.accept(on: listenFD, peers: peers)
                slot.leave()
                switch accepted {
                case .connection(let connection, let watched):
                    request.pointee.ipcFd = connection
                    // libfcgi's FCGX_Accept_r first finishes the previous request, closing its
                    // connection unless it was kept: it must keep this one; the request's own
                    // BEGIN_REQUEST then decides (FCGI_KEEP_CONN).
                    request.pointee.keepConnection = 1
                    slot.hold(watched)
                case .interrupted, .refused:
                    if currentPhase != .serving { break serving }
                    continue serving
                case .failed(let error):
                    if currentPhase != .serving { break serving }
                    // Out of descriptors or memory: don't spin while it lasts.
                    logger.warning("accept failed", metadata: ["error": "\(error)"])
                    sleepUninterrupted(for: .milliseconds(100))
                    continue serving
                }
            }
            // No listening socket for libfcgi: when the connection ends (the web server closed
            // a kept one, a record was malformed, a read failed), libfcgi closes it and tries
            // to accept on -1, which fails with EBADF at once (it does not retry that), so
            // FCGX_Accept_r returns and this loop accepts. (`ipcFd`, `keepConnection` and
            // `listen_sock` sit below fcgiapp.h's "don't use anything below here"; they are
            // the same in every libfcgi from 2.4.0 to 2.4.7.)
            request.pointee.listen_sock = -1
            // A kept connection's wait may be woken by a drain's deadline; a new connection's
            // request is read to its end (`readTimeout` bounds it).
            let wait: ThreadSlot.Wait = onKeptConnection ? .keptConnection : .none
            guard slot.enter(wait, if: { Self.mayWait(wait, in: currentPhase) }) else { break serving }
            slot.startIO()
            let accepted = FCGX_Accept_r(request)
            slot.leave()
            if accepted < 0 {
                // The connection ended: the web server closed it (libfcgi closed its end too),
                // its records were malformed, the read timed out, or the drain's deadline cut
                // it. Go on to accept, or leave.
                slot.releaseConnection()
                if onKeptConnection {
                    if currentPhase == .closing { cut.add(1, ordering: .relaxed) }
                    if holding {
                        holding = false
                        kept.subtract(1, ordering: .relaxed)
                    }
                }
                continue
            }
            let message = readRequest(request, buffer: &buffer)
            slot.endIO()
            if FCGX_GetError(request.pointee.in) == 0 {
                let response = handler.handle(message)
                // Counted as kept before the answer's end (END_REQUEST, sent by `write`) reaches
                // the web server: a drain that starts the moment it has its answer must count
                // this connection. A write that fails and closes it is corrected below.
                if (request.pointee.keepConnection != 0) != holding {
                    holding.toggle()
                    if holding { kept.add(1, ordering: .relaxed) } else { kept.subtract(1, ordering: .relaxed) }
                }
                slot.startIO()
                do {
                    try write(response, to: request, head: &head)
                } catch {
                    // The web server went away (client timeout, nginx reload): nothing to answer.
                    logger.debug("response not delivered", metadata: ["error": "\(error)"])
                }
                // Closes the connection unless it is kept.
                FCGX_Finish_r(request)
            } else {
                // The body never arrived whole (the peer closed, the read timed out): nobody
                // waits for an answer, so the request is not handled (a press is not
                // published), and the connection is closed with nothing written on it
                // (FCGX_Finish_r would still send an empty answer).
                logger.debug("request dropped: its body was cut off")
                slot.startIO()
                FCGX_Free(request, 1)
            }
            slot.endIO()
            if request.pointee.ipcFd < 0 { slot.releaseConnection() }
            if (request.pointee.ipcFd >= 0) != holding {
                holding.toggle()
                if holding { kept.add(1, ordering: .relaxed) } else { kept.subtract(1, ordering: .relaxed) }
            }
            if requestLimit > 0, served.wrappingAdd(1, ordering: .relaxed).newValue == requestLimit {
                logger.info("served its maximum of requests; recycling", metadata: ["requests": "\(requestLimit)"])
                stop(onDrain: onDrain)
            }
        }
    }

    /// What one accept gave.
    private enum Accepted {
        /// A connection, and a copy of its descriptor for the read-timeout watch.
        case connection(Int32, watched: Int32)
        /// The wake signal interrupted the wait.
        case interrupted
        /// A peer that may not connect (closed), or one that left before it was taken.
        case refused
        case failed(SystemError)
    }

    /// Accepts one connection as libfcgi would (its TCP peer check and `TCP_NODELAY`
    /// included), close-on-exec, and makes the watch's copy of its descriptor.
    private static func accept(on listenFD: Int32, peers: PeerList?) -> Accepted {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let connection = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(listenFD, $0, &length) }
        }
        guard connection >= 0 else {
            let error = errno
            switch error {
            case EINTR: return .interrupted
            // The peer went away between connecting and the accept (libfcgi's list).
            case ECONNABORTED, EPROTO, ECONNRESET, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH: return .refused
            default: return .failed(SystemError("accept", errno: error))
            }
        }
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        if let peers {
            guard Int32(address.sin_family) == AF_INET, peers.allows(address.sin_addr) else {
                close(connection)
                return .refused
            }
            // Answers are written whole and nothing is sent back: Nagle would only delay them.
            var on: Int32 = 1
            _ = setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        // Numbered from the upper half of the descriptor limit: the copies then never take
        // the low numbers the connections themselves (and libfcgi) get and reuse.
        var watched = fcntl(connection, F_DUPFD_CLOEXEC, watchedDescriptorFloor)
        if watched < 0 { watched = fcntl(connection, F_DUPFD_CLOEXEC, 0) }
        guard watched >= 0 else {
            let error = errno
            close(connection)
            return .failed(SystemError("dup of an accepted connection", errno: error))
        }
        return .connection(connection, watched: watched)
    }

    /// Whether a thread may start waiting: for a new connection only while serving, on a
    /// kept connection until the drain's deadline.
    private static func mayWait(_ wait: ThreadSlot.Wait, in phase: Phase) -> Bool {
        switch wait {
        case .accepting: phase == .serving
        case .keptConnection: phase != .closing
        case .none: true
        }
    }

    /// Copies the params out of libfcgi's array into one buffer, then reads the body.
    private func readRequest(_ request: UnsafeMutablePointer<FCGX_Request>, buffer: inout [UInt8]) -> FastCGIRequest {
        var builder = FastCGIRequest.Builder(capacity: 0, count: 0)
        if let envp = request.pointee.envp {
            // Two passes: sizes first, so the buffer and the index are allocated once.
            var total = 0
            var count = 0
            var cursor = envp
            while let entry = cursor.pointee {
                total += strlen(entry)
                count += 1
                cursor += 1
            }
            builder = FastCGIRequest.Builder(capacity: total, count: count)
            cursor = envp
            while let entry = cursor.pointee {
                builder.append(entry: UnsafeRawBufferPointer(start: entry, count: strlen(entry)))
                cursor += 1
            }
        }
        let (body, tooLarge) = readBody(request.pointee.in, buffer: &buffer)
        return FastCGIRequest(storage: builder.storage, entries: builder.entries, body: body, bodyTooLarge: tooLarge)
    }

    /// Reads the request body up to the configured limit; a larger one is drained so the
    /// connection stays usable, and flagged.
    private func readBody(_ stream: UnsafeMutablePointer<FCGX_Stream>?, buffer: inout [UInt8]) -> ([UInt8], Bool) {
        let limit = configuration.maxBodyBytes
        var body: [UInt8] = []
        var tooLarge = false
        while true {
            let count = buffer.withUnsafeMutableBytes {
                FCGX_GetStr($0.baseAddress?.assumingMemoryBound(to: CChar.self), Int32($0.count), stream)
            }
            // 0 is the end of the body; a read error ends it too, and libfcgi keeps the
            // error on the stream so FCGX_Finish_r closes that connection.
            if count <= 0 { break }
            if tooLarge { continue }
            if body.count + Int(count) > limit {
                tooLarge = true
                body = []
                continue
            }
            body.append(contentsOf: buffer[..<Int(count)])
        }
        return (body, tooLarge)
    }

    /// Writes the head from the thread's reused buffer and the body straight from the
    /// response, then closes the stream to learn whether nginx got it all.
    private func write(
        _ response: FastCGIResponse,
        to request: UnsafeMutablePointer<FCGX_Request>,
        head: inout [UInt8]
    ) throws(FastCGIError) {
        head.removeAll(keepingCapacity: true)
        response.serializeHead(into: &head)
        let out = request.pointee.out
        try put(head, to: out)
        try put(response.body, to: out)
        // Close stderr (empty: it writes nothing) before stdout, as FCGX_Finish_r would:
        // libfcgi appends END_REQUEST to whichever stream closes last, so stdout's close
        // then sends the body's end and END_REQUEST in one write (closing stdout first cost
        // a second write and a second wake-up of nginx per request).
        try libfcgiCall("FCGX_FClose") { FCGX_FClose(request.pointee.err) }
        try libfcgiCall("FCGX_FClose") { FCGX_FClose(out) }
    }
}

/// Hands bytes to libfcgi's output buffer.
private func put(_ bytes: [UInt8], to stream: UnsafeMutablePointer<FCGX_Stream>?) throws(FastCGIError) {
    guard !bytes.isEmpty else { return }
    try libfcgiCall("FCGX_PutStr") {
        bytes.withUnsafeBytes {
            FCGX_PutStr($0.baseAddress?.assumingMemoryBound(to: CChar.self), Int32($0.count), stream)
        }
    }
}

/// The one place a libfcgi result becomes a Swift error: libfcgi returns a negative
/// `errno`, -1 with the error on the stream, or its own codes below -9000.
func libfcgiCall(_ call: @autoclosure () -> String, _ body: () -> Int32) throws(FastCGIError) {
    let result = body()
    guard result < 0 else { return }
    throw FastCGIError(.libraryFailed, "\(call()): \(libfcgiReason(result))")
}

/// What a negative libfcgi result means.
func libfcgiReason(_ result: Int32) -> String {
    switch result {
    case -1: "stream error"
    case -9999: "connection closed"
    case -9998: "library not initialised"
    case -9997: "library initialisation failed"
    case ...(-9000): "libfcgi error \(result)"
    default: SystemError("", errno: -result).reason
    }
}

/// Where the read-timeout watch's copies of connection descriptors are numbered from: half
/// the process's descriptor limit (at most 32768).
private let watchedDescriptorFloor: Int32 = {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
    return Int32(min(limit.rlim_cur / 2, 32768))
}()

/// The signal used to interrupt a thread blocked in accept() or a read.
let wakeSignal = SIGUSR1

/// What one server thread is doing, so a drain can wake it when it waits.
///
/// It holds no descriptor: a waiting thread is woken by a signal only.
private final class ThreadSlot: Sendable {
    /// What a thread blocks on inside `FCGX_Accept_r`.
    enum Wait: Sendable {
        /// Not in `FCGX_Accept_r`: handling a request, or not started.
        case none
        /// In accept() on the listening socket.
        case accepting
        /// Reading the next request on a kept connection (never in accept(): see `serveLoop`).
        case keptConnection
    }
    private struct State {
        var thread: pthread_t?
        var wait = Wait.none
        var exited = false
        /// A copy of the connection's descriptor, closed only here (-1: none): libfcgi closes
        /// its own at any moment, and the number may then be another thread's connection.
        var connection: Int32 = -1
        /// When the thread started waiting on its connection for a request or for an answer
        /// to be taken; nil: not waiting on it (handling a request, or accepting).
        var ioStarted: ContinuousClock.Instant?
    }
    private let state = Mutex(State())

    func setThread(_ thread: pthread_t) { state.withLock { $0.thread = thread } }

    func markExited() {
        state.withLock {
            $0.exited = true
            $0.wait = .none
        }
    }

    /// Marks the thread as waiting if `allowed` says so. Checked under the lock, so a
    /// concurrent `wake` either sees this thread waiting or this thread sees the new phase.
    func enter(_ wait: Wait, if allowed: () -> Bool) -> Bool {
        state.withLock { state in
            guard allowed() else { return false }
            state.wait = wait
            return true
        }
    }

    func leave() { state.withLock { $0.wait = .none } }

    /// Keeps `watched`, a copy of the thread's new connection's descriptor.
    func hold(_ watched: Int32) {
        state.withLock {
            if $0.connection >= 0 { close($0.connection) }
            $0.connection = watched
        }
    }

    /// The connection has ended: closes the copy.
    func releaseConnection() {
        state.withLock {
            if $0.connection >= 0 { close($0.connection) }
            $0.connection = -1
            $0.ioStarted = nil
        }
    }

    func startIO() { state.withLock { $0.ioStarted = .now } }

    func endIO() { state.withLock { $0.ioStarted = nil } }

    /// Shuts the connection down (both ways) if the thread has been waiting on it since
    /// before `limit`: its blocked read returns an end of file, its write an error, and
    /// libfcgi closes the connection. Returns whether it did (once per wait).
    func cutConnection(ifWaitingSince limit: ContinuousClock.Instant) -> Bool {
        state.withLock { state in
            guard let started = state.ioStarted, started < limit, state.connection >= 0 else { return false }
            state.ioStarted = nil
            return shutdown(state.connection, Int32(SHUT_RDWR)) == 0
        }
    }

    /// Wakes the thread if its wait matches; returns whether it did.
    func wake(ifWaiting matching: (Wait) -> Bool) -> Bool {
        state.withLock { state in
            guard state.wait != .none, matching(state.wait), !state.exited, let thread = state.thread else {
                return false
            }
            // Under the lock, the thread has not exited: its handle is valid.
            return (try? SignalHandling.send(wakeSignal, to: thread)) != nil
        }
    }
}

/// Wakes the thread in `run` that keeps the drain's deadline: a pipe, so that its wait can
/// end at a deadline on the monotonic clock (poll's timeout) as well as on a ring.
private final class Doorbell: Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        // pipe2 is a GNU extension Glibc's module map leaves out: pipe, then the flags.
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, O_NONBLOCK)
            }
        } else {
            fds = [-1, -1]
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        if readEnd >= 0 {
            close(readEnd)
            close(writeEnd)
        }
    }

    /// A full pipe (EAGAIN) has been rung already.
    func ring() {
        guard writeEnd >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Waits for a ring or the timeout (nil: none). Without a pipe (no descriptor was free at
    /// start) it wakes every 20 ms instead, and the caller checks again.
    func wait(timeout: Duration?) {
        var milliseconds: Int32 = -1
        if let timeout {
            let (seconds, attoseconds) = max(.zero, timeout).components
            let rounded = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
            milliseconds = Int32(clamping: rounded)
        }
        guard readEnd >= 0 else {
            sleepUninterrupted(for: .milliseconds(min(20, milliseconds < 0 ? 20 : Int(milliseconds))))
            return
        }
        var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, milliseconds)
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &bytes, bytes.count) > 0 {}
    }
}

/// The IPv4 peers allowed to connect to a TCP listener, read from `FCGI_WEB_SERVER_ADDRS`
/// as libfcgi reads it (comma-separated dotted addresses); its accept checks them, and ours
/// must too.
struct PeerList: Sendable {
    private let addresses: [UInt32]

    init(_ text: String) {
        addresses = text.split(separator: ",").compactMap { entry in
            var address = in_addr()
            let trimmed = String(entry.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
            return inet_aton(trimmed, &address) == 0 ? nil : address.s_addr
        }
    }

    func allows(_ address: in_addr) -> Bool { addresses.contains(address.s_addr) }
}
