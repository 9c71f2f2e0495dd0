#if canImport(Glibc)
import Glibc
#endif

/// Calls `body` with a NULL-terminated C array of copies of `strings` (an `argv` or `envp`),
/// valid only during the call.
/// - Parameters:
///   - strings: the strings; each must not contain NUL.
///   - body: receives the array; it must not keep the pointer.
/// - Returns: what `body` returns.
public func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { buffer in
        // posix_spawn's argv/envp are `char *const[]`: the array itself is never written.
        // A buffer of at least one element always has a base address.
        body(UnsafePointer(buffer.baseAddress.unsafelyUnwrapped))
    }
}

/// The process environment as `NAME=value` strings.
public var processEnvironment: [String] {
    var result: [String] = []
    var cursor = environ
    while let entry = cursor.pointee {
        result.append(String(cString: entry))
        cursor += 1
    }
    return result
}
