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

    /// - Parameters:
    ///   - threads: request threads (default 16).
    ///   - maxBodyBytes: body limit (default 64 KiB).
    ///   - maxRequests: recycle after this many requests (default 0: never).
    ///   - drainTimeout: how long a drain waits for the web server to close its kept
    ///     connections (default zero: cut them at once).
    public init(
        threads: Int = 16,
        maxBodyBytes: Int = 64 * 1024,
        maxRequests: Int = 0,
        drainTimeout: Duration = .zero
    ) {
        self.threads = max(1, threads)
        self.maxBodyBytes = max(0, maxBodyBytes)
        self.maxRequests = max(0, maxRequests)
        self.drainTimeout = max(.zero, drainTimeout)
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
    /// resolved first and exported as `FCGI_WEB_SERVER_ADDRS`, which libfcgi reads in every
    /// process started from this one.
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
        try checkPeerRestriction()
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
                                serveLoop(index: index, onDrain: onDrain, makeHandler: makeHandler)
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
    private func checkPeerRestriction() throws(FastCGIError) {
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
        case AF_INET6:
            throw FastCGIError(
                .invalidAccess,
                "libfcgi restricts IPv4 peers only: listen on an IPv4 address or a unix socket"
            )
        default:
            break
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
    /// and it is not needed. A woken accept returns (FAIL_ACCEPT_ON_INTR); a woken read on a
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
            doorbell.wait(timeout: nil)
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
                    doorbell.wait(timeout: now.duration(to: deadline))
                }
            } else {
                doorbell.wait(timeout: nil)
            }
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

    private func serveLoop(
        index: Int,
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
        // FAIL_ACCEPT_ON_INTR: the wake signal makes a blocked accept return, so stop() works
        // without shutting down the listening socket the other workers share.
        do {
            try libfcgiCall("FCGX_InitRequest") { FCGX_InitRequest(request, listenFD, FCGI_FAIL_ACCEPT_ON_INTR) }
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
        }
        slot.setThread(pthread_self())
        // One read buffer and one header buffer per thread, reused for every request.
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var head: [UInt8] = []
        head.reserveCapacity(1024)
        while true {
            let onKeptConnection = request.pointee.ipcFd >= 0
            // With a kept connection, libfcgi reads the next request on it, and when the web
            // server has closed it, goes on to accept a new one on `listen_sock`. Given no
            // socket there (-1: accept fails with EBADF, which libfcgi does not retry), it
            // returns instead, so a thread is only ever in accept() when it entered as
            // `.accepting`, and a drain knows which threads it may wake. (`ipcFd` and
            // `listen_sock` sit below fcgiapp.h's "don't use anything below here"; they are
            // the same in every libfcgi from 2.4.0 to 2.4.7, and `listen_sock` is read only
            // where FCGX_Accept_r accepts.)
            request.pointee.listen_sock = onKeptConnection ? -1 : listenFD
            let wait: ThreadSlot.Wait = onKeptConnection ? .keptConnection : .accepting
            guard slot.enter(wait, if: { Self.mayWait(wait, in: currentPhase) }) else { break }
            let accepted = FCGX_Accept_r(request)
            slot.leave()
            if accepted < 0 {
                // A kept connection that ended: the web server closed it (libfcgi closed its
                // end too), or the drain's deadline cut it. Go on to accept, or leave.
                if onKeptConnection {
                    if currentPhase == .closing { cut.add(1, ordering: .relaxed) }
                    if holding {
                        holding = false
                        kept.subtract(1, ordering: .relaxed)
                    }
                    continue
                }
                if currentPhase != .serving { break }
                // Out of descriptors or memory: don't spin while it lasts.
                logger.warning("accept failed", metadata: ["error": "\(libfcgiReason(accepted))"])
                sleepUninterrupted(for: .milliseconds(100))
                continue
            }
            let message = readRequest(request, buffer: &buffer)
            let response = handler.handle(message)
            do {
                try write(response, to: request, head: &head)
            } catch {
                // The web server went away (client timeout, nginx reload): nothing to answer.
                logger.debug("response not delivered", metadata: ["error": "\(error)"])
            }
            FCGX_Finish_r(request)
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
