/// Whether data written with one schema can be read with another.
public enum AvroCompatibility: Sendable, Equatable {
    /// Every datum of the writer schema can be resolved into the reader schema.
    case compatible
    /// Reasons, each starting with a path into the reader schema such as `/fields/cohort`.
    case incompatible([String])

    /// `true` for ``compatible``.
    public var isCompatible: Bool { self == .compatible }
}
