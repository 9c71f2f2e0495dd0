public import FastCGI

/// What a stats request asks for, checked before anything runs.
struct StatsRequest: Equatable {
    enum Target: Equatable {
        case page
        case panel(PanelKind)
    }

    var target: Target
    var includeFake: Bool
    /// `bots=1`: count the events of sessions marked as bots too.
    var includeBots = false

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
        var includeBots = false
        for pair in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            switch Array(pair) {
            case Array("fake=1".utf8), Array("fake=on".utf8), Array("fake=true".utf8): includeFake = true
            case Array("fake=0".utf8), Array("fake=".utf8), Array("fake=off".utf8), Array("fake=false".utf8):
                includeFake = false
            case Array("bots=1".utf8), Array("bots=on".utf8), Array("bots=true".utf8): includeBots = true
            case Array("bots=0".utf8), Array("bots=".utf8), Array("bots=off".utf8), Array("bots=false".utf8):
                includeBots = false
            default:
                return .failure(
                    Refusal(
                        status: 400,
                        message: "Unknown query parameter: the stats page takes only fake=1|0 and bots=1|0."
                    )
                )
            }
        }
        return .success(StatsRequest(target: target, includeFake: includeFake, includeBots: includeBots))
    }
}
