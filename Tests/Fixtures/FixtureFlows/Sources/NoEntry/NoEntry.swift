// A Swift shared library that is not a Baton flow library: no entry point, no magic.
public func add(_ a: Int, _ b: Int) -> Int { a + b }
