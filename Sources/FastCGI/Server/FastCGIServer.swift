internal import CFastCGI
public import Logging
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

    /// - Parameters:
    ///   - threads: request threads (default 16).
    ///   - maxBodyBytes: body limit (default 64 KiB).
    public init(threads: Int = 16, maxBodyBytes: Int = 64 * 1024) {
        self.threads = max(1, threads)
        self.maxBodyBytes = max(0, maxBodyBytes)
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
    }

    /// Opens `address` and serves on it.
    /// - Throws: `FastCGIError` when the socket cannot be opened.
    public convenience init(
        listeningOn address: ListenAddress,
        backlog: Int32 = 1024,
        configuration: FastCGIServerConfiguration,
        logger: Logger
    ) throws {
        let fd = try ListenSocket.open(address, backlog: backlog)
        self.init(listenFD: fd, configuration: configuration, logger: logger)
    }

    /// Opens a listening socket for a pool of worker processes to share.
    /// - Throws: `FastCGIError` when the socket cannot be opened.
    public static func openListenSocket(_ address: ListenAddress, backlog: Int32 = 1024) throws -> Int32 {
        try ListenSocket.open(address, backlog: backlog)
    }

    /// Blocks SIGTERM, SIGINT (and the internal wake-up SIGUSR2) in the calling thread and in
    /// every thread it creates afterwards.
    ///
    /// Call it first thing in a worker, before any library starts threads (librdkafka,
    /// Foundation): a process-directed SIGTERM goes to some thread that does not block it,
    /// and only `run`'s signal thread may take it, or the worker never drains.
    public static func blockTerminationSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGUSR2)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Serves until stopped.
    /// - Parameters:
    ///   - handlingSignals: when true, SIGTERM and SIGINT stop the server gracefully.
    ///   - makeHandler: builds the handler for thread `index`, on that thread.
    /// - Throws: `FastCGIError.libraryFailed` when libfcgi cannot start.
    public func run(
        handlingSignals: Bool = true,
        makeHandler: @escaping @Sendable (Int) throws -> any FastCGIHandler
    ) throws {
        guard FCGX_Init() == 0 else { throw FastCGIError(.libraryFailed, "FCGX_Init failed") }
        installWakeSignalHandler()
        var signalThread: NativeThread?
        if handlingSignals {
            // Threads inherit the mask; one thread collects the signals with sigwait, because
            // libfcgi's own SIGTERM handler only sets a flag that a blocked accept never sees.
            Self.blockTerminationSignals()
            signalThread = NativeThread(stackSize: 64 * 1024) { [self] in
                var waitSet = sigset_t()
                sigemptyset(&waitSet)
                sigaddset(&waitSet, SIGTERM)
                sigaddset(&waitSet, SIGINT)
                sigaddset(&waitSet, SIGUSR2)
                var signal: Int32 = 0
                sigwait(&waitSet, &signal)
                if signal != SIGUSR2 {
                    logger.info("signal received, draining", metadata: ["signal": "\(signal)"])
                }
                stop()
            }
        }
        let threads = (0..<configuration.threads).map { index in
            NativeThread { [self] in serveLoop(index: index, makeHandler: makeHandler) }
        }
        logger.info("serving", metadata: ["threads": "\(configuration.threads)"])
        for thread in threads { thread.join() }
        if let signalThread {
            // Wake the signal thread if we stopped for another reason; blocked everywhere, so
            // a SIGUSR2 nobody waits for stays pending instead of killing the process.
            kill(getpid(), SIGUSR2)
            signalThread.join()
        }
        logger.info("stopped")
    }

    /// Stops accepting; requests in progress finish, idle kept-alive connections close.
    ///
    /// Returns once no thread waits for a new request; threads busy with a request exit
    /// when it is answered. The listening socket itself is left open: it is shared with the
    /// other worker processes, which may still be serving.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        FCGX_ShutdownPending()
        // Interrupt the threads blocked in accept() or reading a kept connection. A thread
        // may be between marking itself idle and entering accept when the signal lands, so
        // repeat until no thread is idle any more.
        while true {
            var anyIdle = false
            for slot in slots where slot.wakeIfIdle() { anyIdle = true }
            if !anyIdle { break }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)
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
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer {
            FCGX_Free(request, 1)
            request.deallocate()
        }
        // FAIL_ACCEPT_ON_INTR: the wake signal makes a blocked accept return, so stop() works
        // without shutting down the listening socket the other workers share.
        guard FCGX_InitRequest(request, listenFD, FCGI_FAIL_ACCEPT_ON_INTR) == 0 else {
            logger.error("FCGX_InitRequest failed; thread exits")
            return
        }
        let slot = slots[index]
        slot.setThread(pthread_self())
        // One read buffer per thread, reused for every request's body.
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        defer { slot.markExited() }
        while !isStopping {
            // A kept-alive connection is where Accept blocks next; stop() may close it.
            guard slot.enterIdle(fd: request.pointee.ipcFd, unlessStopping: { isStopping }) else { break }
            let accepted = FCGX_Accept_r(request)
            slot.leaveIdle()
            if accepted < 0 {
                if isStopping { break }
                continue
            }
            let message = readRequest(request, buffer: &buffer)
            let response = handler.handle(message)
            write(response, to: request)
            FCGX_Finish_r(request)
        }
    }

    private func readRequest(_ request: UnsafeMutablePointer<FCGX_Request>, buffer: inout [CChar]) -> FastCGIRequest {
        var params: [(name: String, value: [UInt8])] = []
        if var cursor = request.pointee.envp {
            while let entry = cursor.pointee {
                let length = strlen(entry)
                let bytes = UnsafeRawBufferPointer(start: entry, count: length)
                if let eq = bytes.firstIndex(of: UInt8(ascii: "=")) {
                    let name = String(decoding: bytes[..<eq], as: UTF8.self)
                    params.append((name: name, value: Array(bytes[(eq + 1)...])))
                }
                cursor += 1
            }
        }
        let limit = configuration.maxBodyBytes
        var body: [UInt8] = []
        var tooLarge = false
        while true {
            let count = buffer.withUnsafeMutableBufferPointer {
                FCGX_GetStr($0.baseAddress, Int32($0.count), request.pointee.in)
            }
            if count <= 0 { break }
            if tooLarge { continue }  // drain so the connection stays usable
            if body.count + Int(count) > limit {
                tooLarge = true
                body = []
                continue
            }
            buffer.withUnsafeBytes { body.append(contentsOf: $0.prefix(Int(count))) }
        }
        return FastCGIRequest(params: params, body: body, bodyTooLarge: tooLarge)
    }

    private func write(_ response: FastCGIResponse, to request: UnsafeMutablePointer<FCGX_Request>) {
        let bytes = response.serialized
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                _ = FCGX_PutStr($0.baseAddress, Int32($0.count), request.pointee.out)
            }
        }
    }
}

/// The signal used to interrupt a thread blocked in accept() or a read.
let wakeSignal = SIGUSR1

/// A handler that does nothing: its only job is to make blocking calls return EINTR.
/// Installed without SA_RESTART, after FCGX_Init (which installs its own for SIGUSR1).
private func installWakeSignalHandler() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(wakeSignal, &action, nil)
}

/// What one server thread is doing, so `stop()` can wake it when it waits for a request.
private final class ThreadSlot: Sendable {
    private struct State {
        var thread: pthread_t?
        var idle = false
        var exited = false
        /// The kept-alive connection an idle thread reads from, or -1 while in accept().
        var fd: Int32 = -1
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
    func enterIdle(fd: Int32, unlessStopping stopping: () -> Bool) -> Bool {
        state.withLock { state in
            if stopping() { return false }
            state.idle = true
            state.fd = fd
            return true
        }
    }

    func leaveIdle() { state.withLock { $0.idle = false } }

    /// Wakes the thread if it waits for a request; returns whether it did.
    func wakeIfIdle() -> Bool {
        state.withLock { state in
            guard state.idle, !state.exited, let thread = state.thread else { return false }
            // A kept connection is this thread's own: shutting it down ends the read for good.
            if state.fd >= 0 {
                shutdown(state.fd, Int32(SHUT_RDWR))
                state.fd = -1
            }
            pthread_kill(thread, wakeSignal)
            return true
        }
    }
}
