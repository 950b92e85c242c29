"""Reading messy Excel exports and writing clean ones."""
