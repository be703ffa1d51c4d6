import Chat

/// The people the engine tests talk as, all of `kommun.se`, and their direct rooms with the bot: one cast
/// for every suite, so a name means the same person everywhere.
public enum Cast {
    /// Has ideas.
    public static let anna = UserID("@anna:kommun.se")
    /// Has ideas too.
    public static let bo = UserID("@bo:kommun.se")
    /// Guides Socialtjänst in `rolesYAML`.
    public static let karin = UserID("@karin:kommun.se")
    /// Coordinates in `rolesYAML`.
    public static let ia = UserID("@ia:kommun.se")

    public static let annaRoom = directRoom(of: anna)
    public static let boRoom = directRoom(of: bo)
    public static let iaRoom = directRoom(of: ia)

    /// The person's direct room with the bot, `!dm-<name>:<domain>`: where `EngineHarness.say` speaks when
    /// given no room.
    public static func directRoom(of person: UserID) -> RoomID {
        RoomID("!dm-\(person.rawValue.dropFirst())")
    }

    /// Two units, Socialtjänst and Skola; Ia coordinates and Karin guides Socialtjänst, which the guide's
    /// entry spells `guideUnit`.
    public static func rolesYAML(guideUnit: String = "Socialtjänst") -> String {
        """
        units: [Socialtjänst, Skola]
        roles:
          coordinators: ["@ia:kommun.se"]
          guides:
            - user: "@karin:kommun.se"
              units: [\(guideUnit)]
        """
    }
}
