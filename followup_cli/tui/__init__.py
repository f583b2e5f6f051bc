"""The full-screen review (Textual); imported only when `followup review` runs."""
