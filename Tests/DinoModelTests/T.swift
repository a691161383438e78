import Testing; @testable import DinoModel; @Test func t() { #expect(DinoModelVersion.x == 1) }
