/// The project's release, printed by every executable's `--version`.
///
/// One constant for all executables so that an operator comparing a worker, the sink and the
/// generator on one host sees at once whether they come from the same release.
public enum ButtonVersion {
    /// The version string, `MAJOR.MINOR.PATCH`; the minor number follows the issue series.
    public static let current = "0.10.0"
}
