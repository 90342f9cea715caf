/// Names for runs that people can say and remember, like `brave-otter`.
public enum RunNames {
    static let adjectives = [
        "amber", "bold", "brave", "bright", "brisk", "calm", "clever", "cosmic", "crisp", "daring", "eager",
        "fancy", "fearless", "gentle", "golden", "happy", "hidden", "jolly", "keen", "lively", "lucky", "mellow",
        "merry", "mighty", "nimble", "noble", "olive", "patient", "proud", "quick", "quiet", "rapid", "rustic",
        "shiny", "silent", "silver", "smart", "snowy", "steady", "sunny", "swift", "tidy", "tiny", "vivid",
        "warm", "wild", "wise", "witty", "zesty",
    ]
    static let animals = [
        "albatross", "badger", "beaver", "bison", "caribou", "cheetah", "condor", "crane", "dolphin", "eagle",
        "falcon", "ferret", "finch", "fox", "gazelle", "gecko", "heron", "ibex", "jaguar", "koala", "lemur",
        "lynx", "marmot", "marten", "meerkat", "moose", "narwhal", "ocelot", "orca", "otter", "owl", "panda",
        "pelican", "penguin", "puffin", "quokka", "raven", "salmon", "seal", "sparrow", "stork", "tapir",
        "tiger", "toucan", "walrus", "weasel", "wombat", "wren", "yak", "zebra",
    ]

    public static func make<G: RandomNumberGenerator>(using generator: inout G) -> String {
        "\(adjectives.randomElement(using: &generator)!)-\(animals.randomElement(using: &generator)!)"
    }

    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(using: &generator)
    }
}
