"""One look for every page and report: the palette shared by figures, cards and reports."""

TRUE_RGB = (44, 160, 44)  # the true digit's probability bar
WRONG_RGB = (214, 39, 40)  # a wrong prediction's bar
OTHER_RGB = (170, 170, 170)
