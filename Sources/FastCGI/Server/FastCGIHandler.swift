/// Answers requests on one server thread.
///
/// Each thread gets its own handler from the server's factory, so a handler may own
/// non-thread-safe state such as a database connection.
public protocol FastCGIHandler {
    /// Answers one request. Errors are the handler's to turn into responses.
    mutating func handle(_ request: FastCGIRequest) -> FastCGIResponse
}

/// A handler made from a closure, for simple servers and tests.
public struct ClosureHandler: FastCGIHandler {
    let body: (FastCGIRequest) -> FastCGIResponse
    /// - Parameter body: the function answering each request.
    public init(_ body: @escaping (FastCGIRequest) -> FastCGIResponse) { self.body = body }
    public func handle(_ request: FastCGIRequest) -> FastCGIResponse { body(request) }
}
