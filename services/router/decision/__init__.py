"""How a message is routed, as pure functions: text, rules, classifier, language, masking, routing."""
