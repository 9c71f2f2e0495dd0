/// The endpoints the workers serve; nginx sends them everything under `/api/`.
enum PressRoute: Equatable {
    /// `POST /api/enter`: the page was loaded (htmx `load` trigger).
    case enter
    /// `POST /api/press`: the button was pressed (htmx or a plain form).
    case press
    /// `GET /api/health`: liveness for load balancers; touches nothing.
    case health

    enum RouteError: Error, Equatable {
        case notFound
        case methodNotAllowed(allow: [String])
    }

    /// The route for a method and path, or why there is none.
    static func match(method: String, path: String) -> Result<PressRoute, RouteError> {
        let (route, allowed): (PressRoute, [String])
        switch path {
        case "/api/enter": (route, allowed) = (.enter, ["POST"])
        case "/api/press": (route, allowed) = (.press, ["POST"])
        case "/api/health": (route, allowed) = (.health, ["GET", "HEAD"])
        default: return .failure(.notFound)
        }
        guard allowed.contains(method) else { return .failure(.methodNotAllowed(allow: allowed)) }
        return .success(route)
    }
}
