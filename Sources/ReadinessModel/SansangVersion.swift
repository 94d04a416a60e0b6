/// The version of this build, reported by agents and shown by `--version`.
public enum SansangVersion {
    public static let current = "0.1.0"
}
