public import FastCGI

/// What a stats request asks for, checked before anything runs.
struct StatsRequest: Equatable {
    enum Target: Equatable {
        case page
        case panel(PanelKind)
    }

    var target: Target
    var includeFake: Bool

    /// A request the page refuses, with a status and a message that never repeats the input.
    struct Refusal: Error, Equatable {
        var status: Int
        var message: String
        var allow: String?
    }

    static let maxQueryBytes = 256

    /// Reads method, path and query string.
    static func parse(method: String?, path: String?, query: ArraySlice<UInt8>?) -> Result<StatsRequest, Refusal> {
        guard let path else { return .failure(Refusal(status: 400, message: "The request has no path.")) }
        let target: Target
        switch path {
        case "/stats", "/stats/": target = .page
        case _ where path.hasPrefix("/stats/panel/"):
            guard let kind = PanelKind(rawValue: String(path.dropFirst("/stats/panel/".count))) else {
                return .failure(Refusal(status: 404, message: "There is no such panel."))
            }
            target = .panel(kind)
        default: return .failure(Refusal(status: 404, message: "There is no such stats page."))
        }
        guard method == "GET" || method == "HEAD" else {
            return .failure(Refusal(status: 405, message: "Stats pages can only be read (GET).", allow: "GET, HEAD"))
        }
        let query = query ?? []
        guard query.count <= maxQueryBytes else {
            return .failure(Refusal(status: 414, message: "That query string is too long."))
        }
        var includeFake = false
        for pair in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            switch Array(pair) {
            case Array("fake=1".utf8), Array("fake=on".utf8), Array("fake=true".utf8): includeFake = true
            case Array("fake=0".utf8), Array("fake=".utf8), Array("fake=off".utf8), Array("fake=false".utf8):
                includeFake = false
            default:
                return .failure(
                    Refusal(
                        status: 400,
                        message: "Unknown query parameter: the stats page takes only fake=1 or fake=0."
                    )
                )
            }
        }
        return .success(StatsRequest(target: target, includeFake: includeFake))
    }
}
