empty = []
trailing = ["a", "b",]
multiline = [
  "one",
  "two",
  "three"
]
nested = [[1, 2], [3], []]
mixed = [1, "two", true, 4.5]
objects = [{ a = 1 }, { b = "x", c = [1] }]
deep = { a = { b = { c = [1, { d = 2 }] } } }
