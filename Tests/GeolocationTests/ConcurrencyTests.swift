import Foundation
import Synchronization
import Testing

@testable import Geolocation

@Suite("Concurrent lookups")
struct ConcurrencyTests {
    static let threads = 8
    static let lookups = 2000

    /// 2000 addresses: the well-known ones, the fixture's networks and pseudo-random
    /// IPv4/IPv6 addresses (some public, some not).
    static let addresses: [IPAddress] = {
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        var result = [
            "130.149.0.1", "128.232.0.1", "133.11.0.1", "2001:638::1", "81.2.69.1", "175.16.199.1", "2a02:ec0::5",
            "10.0.0.1", "::1",
        ].compactMap(IPAddress.init)
        while result.count < lookups {
            let value = next()
            if value & 3 == 0 {
                // Inside 2000::/4, where most allocated IPv6 space is.
                let high = 0x2000_0000_0000_0000 | ((next() >> 36) << 32)
                result.append(IPAddress(storage: .v6(high: high, low: next())))
            } else {
                result.append(IPAddress(ipv4: UInt32(truncatingIfNeeded: value >> 32)))
            }
        }
        return result
    }()

    @Test("8 threads × 2000 lookups agree with serial lookups")
    func concurrentLookups() throws {
        let geolocators: [any Geolocator] = [try Fixtures.libLoc(), try Fixtures.maxMind()]
        for geolocator in geolocators {
            let addresses = Self.addresses
            let serial = addresses.map { geolocator.locate($0) }
            #expect(serial.contains { $0.isKnown })

            let results = Mutex<[Int: [Location]]>([:])
            let group = DispatchGroup()
            for thread in 0..<Self.threads {
                group.enter()
                Thread {
                    // Each thread starts at a different point so they hit different networks.
                    var found = [Location](repeating: .unknown, count: addresses.count)
                    for step in 0..<addresses.count {
                        let index = (step + thread * 251) % addresses.count
                        found[index] = geolocator.locate(addresses[index])
                    }
                    results.withLock { $0[thread] = found }
                    group.leave()
                }.start()
            }
            group.wait()
            let all = results.withLock { $0 }
            #expect(all.count == Self.threads)
            for (thread, found) in all {
                #expect(found == serial, "thread \(thread) of \(type(of: geolocator))")
            }
        }
    }
}
