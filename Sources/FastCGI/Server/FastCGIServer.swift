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
        var signalThread: NativeThread?
        if handlingSignals {
            // Threads inherit the mask; one thread collects the signals with sigwait, because
            // libfcgi's own SIGTERM handler only sets a flag that a blocked accept never sees.
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGTERM)
            sigaddset(&set, SIGINT)
            sigaddset(&set, SIGUSR2)  // used by run() to wake the signal thread
            pthread_sigmask(SIG_BLOCK, &set, nil)
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
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        FCGX_ShutdownPending()
        shutdown(listenFD, Int32(SHUT_RDWR))
        for slot in slots { slot.closeIfIdle() }
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
        guard FCGX_InitRequest(request, listenFD, 0) == 0 else {
            logger.error("FCGX_InitRequest failed; thread exits")
            return
        }
        let slot = slots[index]
        while !isStopping {
            // A kept-alive connection is where Accept blocks next; stop() may close it.
            guard slot.enterIdle(fd: request.pointee.ipcFd, unlessStopping: { isStopping }) else { break }
            let accepted = FCGX_Accept_r(request)
            slot.leaveIdle()
            if accepted < 0 {
                if isStopping { break }
                continue
            }
            let message = readRequest(request)
            let response = handler.handle(message)
            write(response, to: request)
            FCGX_Finish_r(request)
        }
    }

    private func readRequest(_ request: UnsafeMutablePointer<FCGX_Request>) -> FastCGIRequest {
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
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
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

/// What one server thread is doing, so `stop()` can wake a thread idling on a kept connection.
private final class ThreadSlot: Sendable {
    // (idle, fd): fd is the kept-alive connection the thread waits on, or -1.
    private let state = Mutex<(idle: Bool, fd: Int32, closed: Bool)>((false, -1, false))

    /// Marks the thread idle; returns false when the server is already stopping.
    /// Checked under the lock, so a concurrent `closeIfIdle` either sees this thread idle
    /// or this thread sees the stop.
    func enterIdle(fd: Int32, unlessStopping stopping: () -> Bool) -> Bool {
        state.withLock { state in
            if stopping() { return false }
            state = (idle: true, fd: fd, closed: false)
            return true
        }
    }

    func leaveIdle() { state.withLock { $0.idle = false } }

    /// Shuts down the kept connection of an idle thread, so its blocking read returns.
    func closeIfIdle() {
        state.withLock { state in
            if state.idle && state.fd >= 0 && !state.closed {
                shutdown(state.fd, Int32(SHUT_RDWR))
                state.closed = true
            }
        }
    }
}
