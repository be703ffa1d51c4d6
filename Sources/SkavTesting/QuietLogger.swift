import Logging

/// Tests log nowhere (the logging system is never bootstrapped in tests).
public let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
