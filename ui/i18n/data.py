"""Strings of the Data page."""

EN = {
    "data.title": "🔢 The MNIST digits",
    "data.intro": (
        "MNIST is {n_train:,} training images and {n_test:,} test images of handwritten digits, each 28 × 28 grey "
        "pixels with the digit it shows as its label. Browse them, count them, average them, and see where the "
        "two numbers every MNIST tutorial uses come from."
    ),
    "data.browse.title": "Browse the images",
    "data.split": "Set",
    "data.split.help": "The training images teach the network; the test images are kept apart to measure it honestly.",
    "data.split.train": "Training set",
    "data.split.test": "Test set",
    "data.digit": "Digit",
    "data.digit.help": "Show only images labelled with this digit, or all digits.",
    "data.digit.all": "all",
    "data.layout": "Grid",
    "data.layout.help": "How many images to show at once.",
    "data.shuffle": "🔀 Shuffle",
    "data.shuffle.help": "Show other images picked at random (the same seed always shows the same images).",
    "data.browse.caption": (
        "{shown} of the {pool:,} images of {what} in the {split} (seed {seed}); the label is over each image."
    ),
    "data.browse.any": "every digit",
    "data.browse.one": "digit {digit}",
    "data.browse.label": "{label} · #{index}",
    "data.browse.empty": "There are no images of this digit in this set.",
    "data.counts.title": "How many of each digit",
    "data.counts.body": (
        "The ten digits are roughly, not exactly, balanced: the dotted line is a perfect tenth. A model that "
        "always answered the most common digit would be right only about {best:.0%} of the time."
    ),
    "data.counts.train": "Training set ({n:,} images)",
    "data.counts.test": "Test set ({n:,} images)",
    "data.counts.x": "digit",
    "data.counts.y": "images",
    "data.means.title": "The average image of each digit",
    "data.means.body": (
        "Each picture is the pixel-by-pixel average of all the training images of one digit. The blur shows how "
        "much people's handwriting varies; a network has to recognise all of those variations."
    ),
    "data.means.label": "{digit}",
    "data.hist.title": "How grey are the pixels?",
    "data.hist.body": (
        "How many pixels of the training images take each grey value. The y axis is logarithmic: "
        "**{zero:.1%}** of all pixels are exactly 0 (blank paper) and many of the inked ones are at or near 255, "
        "so a linear axis would show just two bars."
    ),
    "data.hist.x": "grey value (0 = paper, 255 = ink)",
    "data.hist.y": "pixels (log scale)",
    "data.hist.hover": "grey value %{x}: %{y:,} pixels",
    "data.norm.title": "Where 0.1307 and 0.3081 come from",
    "data.norm.body": (
        "Before a network sees an image, every pixel x is scaled to [0, 1] and then standardised with the mean "
        "and the standard deviation of all training pixels. They are not magic numbers: here they are, computed "
        "over all {n:,} × 784 training pixels of this app's dataset."
    ),
    "data.norm.mean": "mean μ",
    "data.norm.std": "std σ",
    "data.norm.mean.help": "Average of every training pixel divided by 255 (computed now, not copied).",
    "data.norm.std.help": "Standard deviation of every training pixel divided by 255 (computed now, not copied).",
    "data.norm.used": "The app normalises with mean = {mean} and std = {std} (core/learn/data.py).",
    "data.norm.effect": (
        "So blank paper (0) becomes **{zero:.4f}** and full ink (255) becomes **{full:.4f}**; over the training "
        "set the normalised pixels have mean 0 and standard deviation 1."
    ),
    "data.norm.why": (
        "**Why normalise?** Centred inputs of unit spread keep each layer's weighted sums in a sensible range from "
        "the first step, so the gradients are neither tiny nor huge and the usual learning rates work; it also "
        "puts every input on the same scale. A network trained on raw 0–255 values learns slower or diverges."
    ),
}

ZH = {
    "data.title": "🔢 MNIST 手写数字",
    "data.intro": (
        "MNIST 包含 {n_train:,} 张训练图片和 {n_test:,} 张测试图片，都是手写数字，每张 28 × 28 个灰度像素，"
        "标签是图中的数字。在这里浏览、统计、平均这些图片，并看看每个 MNIST 教程都用的那两个数字从何而来。"
    ),
    "data.browse.title": "浏览图片",
    "data.split": "数据集",
    "data.split.help": "训练集用来教网络；测试集单独保留，用来公正地衡量网络。",
    "data.split.train": "训练集",
    "data.split.test": "测试集",
    "data.digit": "数字",
    "data.digit.help": "只显示标签为这个数字的图片，或显示所有数字。",
    "data.digit.all": "全部",
    "data.layout": "网格",
    "data.layout.help": "一次显示多少张图片。",
    "data.shuffle": "🔀 换一批",
    "data.shuffle.help": "随机挑选另一批图片（同一个种子总是显示同样的图片）。",
    "data.browse.caption": "{split}中{what}的 {pool:,} 张图片里的 {shown} 张（种子 {seed}）；每张图片上方是它的标签。",
    "data.browse.any": "所有数字",
    "data.browse.one": "数字 {digit}",
    "data.browse.label": "{label} · #{index}",
    "data.browse.empty": "这个数据集中没有这个数字的图片。",
    "data.counts.title": "每个数字有多少张",
    "data.counts.body": (
        "十个数字大致均衡，但并不完全相同：虚线表示恰好十分之一。一个总是回答最常见数字的模型，"
        "只有大约 {best:.0%} 的时候是对的。"
    ),
    "data.counts.train": "训练集（{n:,} 张）",
    "data.counts.test": "测试集（{n:,} 张）",
    "data.counts.x": "数字",
    "data.counts.y": "图片数",
    "data.means.title": "每个数字的平均图像",
    "data.means.body": (
        "每张图是某个数字所有训练图片逐像素的平均。模糊的程度说明了人们的笔迹差别有多大；"
        "网络必须认出所有这些变化。"
    ),
    "data.means.label": "{digit}",
    "data.hist.title": "像素有多灰？",
    "data.hist.body": (
        "训练图片中取每个灰度值的像素各有多少。纵轴是对数刻度：所有像素中有 **{zero:.1%}** 恰好为 0（空白的纸），"
        "而带墨迹的像素很多在 255 或接近 255，所以线性刻度只能看到两根柱子。"
    ),
    "data.hist.x": "灰度值（0 = 纸，255 = 墨迹）",
    "data.hist.y": "像素数（对数刻度）",
    "data.hist.hover": "灰度值 %{x}：%{y:,} 个像素",
    "data.norm.title": "0.1307 和 0.3081 从何而来",
    "data.norm.body": (
        "网络看到图片之前，每个像素 x 先缩放到 [0, 1]，再用所有训练像素的均值和标准差进行标准化。"
        "它们不是魔法数字：下面就是在本应用数据集的全部 {n:,} × 784 个训练像素上算出来的结果。"
    ),
    "data.norm.mean": "均值 μ",
    "data.norm.std": "标准差 σ",
    "data.norm.mean.help": "所有训练像素除以 255 后的平均值（现场计算，而不是抄来的）。",
    "data.norm.std.help": "所有训练像素除以 255 后的标准差（现场计算，而不是抄来的）。",
    "data.norm.used": "本应用使用均值 = {mean}、标准差 = {std} 进行标准化（core/learn/data.py）。",
    "data.norm.effect": (
        "于是空白的纸（0）变成 **{zero:.4f}**，最浓的墨迹（255）变成 **{full:.4f}**；"
        "在训练集上，标准化后的像素均值为 0、标准差为 1。"
    ),
    "data.norm.why": (
        "**为什么要标准化？** 以 0 为中心、尺度为 1 的输入让每一层的加权和从第一步起就处在合理的范围内，"
        "梯度既不会太小也不会太大，常用的学习率就能奏效；它也让所有输入处在同一尺度上。"
        "直接用 0–255 的原始值训练的网络学得更慢，甚至会发散。"
    ),
}
