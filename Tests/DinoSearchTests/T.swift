import Testing; @testable import DinoSearch; @Test func t() { #expect(probe() == 0) }
