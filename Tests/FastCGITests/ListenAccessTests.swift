import FastCGI
import Testing

@Suite struct ListenAccessTests {
    @Test func unixSocketsDefaultToOwnerAndGroup() throws {
        let access = try ListenAccess(environment: [:], prefix: "BUTTON")
        #expect(access.unixMode == 0o660)
        #expect(access.unixGroup == nil)
        #expect(try access.webServerAddresses(for: .unix(path: "/run/b.sock")) == nil)
    }

    @Test func modeAndGroupAreRead() throws {
        let access = try ListenAccess(
            environment: ["REGISTRY_LISTEN_MODE": "0600", "REGISTRY_LISTEN_GROUP": "0"],
            prefix: "REGISTRY"
        )
        #expect(access.unixMode == 0o600)
        #expect(access.unixGroup == 0)
        #expect(try ListenAccess(environment: ["BUTTON_LISTEN_GROUP": "root"], prefix: "BUTTON").unixGroup == 0)
    }

    @Test(arguments: [
        ["BUTTON_LISTEN_MODE": "0666"], ["BUTTON_LISTEN_MODE": "0662"], ["BUTTON_LISTEN_MODE": "rw"],
        ["BUTTON_LISTEN_MODE": "01777"], ["BUTTON_LISTEN_GROUP": "no-such-group-here"],
    ])
    func refusesOpenOrInvalidSettings(_ environment: [String: String]) {
        #expect(throws: FastCGIError.self) { try ListenAccess(environment: environment, prefix: "BUTTON") }
    }

    @Test func loopbackTCPDefaultsToLoopbackPeers() throws {
        let access = ListenAccess()
        #expect(try access.webServerAddresses(for: .tcp(host: "127.0.0.1", port: 9000)) == "127.0.0.1")
        #expect(try access.webServerAddresses(for: .tcp(host: "127.0.0.2", port: 9000)) == "127.0.0.1")
    }

    @Test func otherTCPListenersNeedAList() throws {
        #expect(throws: FastCGIError.self) {
            try ListenAccess().webServerAddresses(for: .tcp(host: "0.0.0.0", port: 9000))
        }
        #expect(throws: FastCGIError.self) {
            try ListenAccess().webServerAddresses(for: .tcp(host: "10.0.0.5", port: 9000))
        }
        let listed = try ListenAccess(environment: ["FCGI_WEB_SERVER_ADDRS": "10.0.0.1, 10.0.0.2"], prefix: "BUTTON")
        #expect(try listed.webServerAddresses(for: .tcp(host: "0.0.0.0", port: 9000)) == "10.0.0.1,10.0.0.2")
        let bad = try ListenAccess(environment: ["FCGI_WEB_SERVER_ADDRS": "nginx.internal"], prefix: "BUTTON")
        #expect(throws: FastCGIError.self) { try bad.webServerAddresses(for: .tcp(host: "0.0.0.0", port: 9000)) }
    }

    @Test func ipv6ListenersAreRefused() {
        // libfcgi checks FCGI_WEB_SERVER_ADDRS for IPv4 peers only.
        let access = ListenAccess(webServerAddresses: ["127.0.0.1"])
        #expect(throws: FastCGIError.self) { try access.webServerAddresses(for: .tcp(host: "::1", port: 9000)) }
    }
}
