"""The engine applied to this shop: first plans, replanning, win-back and purchases
turned into calls. Reads and writes through storage only."""
