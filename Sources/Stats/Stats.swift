/// The stats page: see README, "The stats page".
public enum Stats {}
