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

    /// - Parameters:
    ///   - threads: request threads (default 16).
    ///   - maxBodyBytes: body limit (default 64 KiB).
    ///   - maxRequests: recycle after this many requests (default 0: never).
    public init(threads: Int = 16, maxBodyBytes: Int = 64 * 1024, maxRequests: Int = 0) {
        self.threads = max(1, threads)
        self.maxBodyBytes = max(0, maxBodyBytes)
        self.maxRequests = max(0, maxRequests)
    }
}

/// A multi-threaded libfcgi responder on one listening socket.
///
/// `run` blocks until `stop()` is called or the process gets SIGTERM/SIGINT; then it stops
/// accepting, lets in-flight requests finish, and returns.
public final class FastCGIServer: Sendable {
    private let listenFD: Int32
    private let configuration: FastCGIServerConfiguration
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let served = Atomic<Int>(0)
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

    /// Serves until stopped.
    /// - Parameters:
    ///   - handlingSignals: when true, SIGTERM and SIGINT stop the server gracefully.
    ///   - makeHandler: builds the handler for thread `index`, on that thread.
    /// - Throws: `FastCGIError.libraryFailed` when libfcgi cannot start, `.invalidAccess`
    ///   when a TCP listener has no `FCGI_WEB_SERVER_ADDRS`, `.systemCallFailed` when
    ///   threads or signal handling cannot be set up.
    public func run(
        handlingSignals: Bool = true,
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
                    stop()
                }
            }
            var threads: [NativeThread] = []
            defer {
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
                    threads.append(try NativeThread { [self] in serveLoop(index: index, makeHandler: makeHandler) })
                }
            } catch {
                logger.error("cannot start request threads; stopping", metadata: ["error": "\(error)"])
                stop()
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

    /// Stops accepting; requests in progress finish, idle kept-alive connections close.
    ///
    /// Returns once no thread waits for a new request; threads busy with a request exit
    /// when it is answered. The listening socket itself is left open: it is shared with the
    /// other worker processes, which may still be serving.
    ///
    /// Waiting threads are woken by a signal alone, never by shutting a descriptor down:
    /// libfcgi closes a thread's kept connection inside `FCGX_Accept_r`, so a descriptor
    /// number seen before the call may by now belong to another thread's new connection.
    /// The interrupted read makes libfcgi drop the kept connection, and its accept returns
    /// at once because shutdown is pending.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        FCGX_ShutdownPending()
        // A thread may be between marking itself idle and entering the blocking call when
        // the signal lands, so repeat until no thread is idle any more.
        while true {
            var anyIdle = false
            for slot in slots where slot.wakeIfIdle() { anyIdle = true }
            if !anyIdle { break }
            sleepUninterrupted(for: .milliseconds(10))
        }
    }

    /// Whether `stop()` has been called.
    public var isStopping: Bool { stopping.load(ordering: .acquiring) }

    private func serveLoop(index: Int, makeHandler: @Sendable (Int) throws -> any FastCGIHandler) {
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
        defer { FCGX_Free(request, 1) }
        let slot = slots[index]
        slot.setThread(pthread_self())
        defer { slot.markExited() }
        // One read buffer and one header buffer per thread, reused for every request.
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var head: [UInt8] = []
        head.reserveCapacity(1024)
        while !isStopping {
            guard slot.enterIdle(unlessStopping: { isStopping }) else { break }
            let accepted = FCGX_Accept_r(request)
            slot.leaveIdle()
            do {
                try libfcgiCall("FCGX_Accept_r") { accepted }
            } catch {
                if isStopping { break }
                // Out of descriptors or memory: don't spin while it lasts.
                logger.warning("accept failed", metadata: ["error": "\(error)"])
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
            if requestLimit > 0, served.wrappingAdd(1, ordering: .relaxed).newValue == requestLimit {
                logger.info("served its maximum of requests; recycling", metadata: ["requests": "\(requestLimit)"])
                stop()
            }
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
    let reason: String
    switch result {
    case -1: reason = "stream error"
    case -9999: reason = "connection closed"
    case -9998: reason = "library not initialised"
    case -9997: reason = "library initialisation failed"
    case ...(-9000): reason = "libfcgi error \(result)"
    default: reason = SystemError("", errno: -result).reason
    }
    throw FastCGIError(.libraryFailed, "\(call()): \(reason)")
}

/// The signal used to interrupt a thread blocked in accept() or a read.
let wakeSignal = SIGUSR1

/// What one server thread is doing, so `stop()` can wake it when it waits for a request.
///
/// It holds no descriptor: a thread waiting in `FCGX_Accept_r` is woken by a signal only.
private final class ThreadSlot: Sendable {
    private struct State {
        var thread: pthread_t?
        var idle = false
        var exited = false
    }
    private let state = Mutex(State())

    func setThread(_ thread: pthread_t) { state.withLock { $0.thread = thread } }

    func markExited() {
        state.withLock {
            $0.exited = true
            $0.idle = false
        }
    }

    /// Marks the thread idle unless the server is stopping. Checked under the lock, so a
    /// concurrent `wakeIfIdle` either sees this thread idle or this thread sees the stop.
    func enterIdle(unlessStopping stopping: () -> Bool) -> Bool {
        state.withLock { state in
            if stopping() { return false }
            state.idle = true
            return true
        }
    }

    func leaveIdle() { state.withLock { $0.idle = false } }

    /// Wakes the thread if it waits for a request; returns whether it did.
    func wakeIfIdle() -> Bool {
        state.withLock { state in
            guard state.idle, !state.exited, let thread = state.thread else { return false }
            // Under the lock, the thread has not exited: its handle is valid.
            return (try? SignalHandling.send(wakeSignal, to: thread)) != nil
        }
    }
}
