"""Strings of the Inside the network page."""

EN = {
    "inside.title": "Inside the network",
    "inside.intro": (
        "Open up a trained network: what its layers learned (the weights, drawn as pictures) and what happens "
        "to one image on its way through, layer by layer. The last tab shows how all the test images look "
        "from the network's point of view, squeezed onto a flat page."
    ),
    "inside.kind.mlp": (
        "A multi-layer perceptron: every hidden unit looks at all 784 pixels, then at the units before it."
    ),
    "inside.kind.linear": (
        "A linear model: each digit's score is a weighted sum of the 784 pixels, with no hidden layer."
    ),
    "inside.kind.scratch": "The NumPy network: 784 pixels → {hidden} sigmoid units → 10 sigmoid outputs.",
    "inside.kind.cnn": "A convolutional network: small filters slide over the image, making feature maps; "
                       "pooling shrinks them, and a final linear layer reads the digit off the last maps.",
    "inside.knn": (
        "k-nearest neighbours has no weights to look at, and that is perfectly fine: it learns nothing, it "
        "remembers every training image and, for a new one, lets the {k} most similar training images vote. "
        "Below is what it compares: the image as it sees it."
    ),
    "inside.knn.blocks": "The ink in each of the {grid}x{grid} blocks of the image: the {n} numbers kNN compares.",
    "inside.knn.pixels": "The raw 28x28 pixels: the 784 numbers kNN compares.",
    "inside.knn.hint": "The Draw page shows which training images are its nearest neighbours.",
    "inside.tab.weights": "🧩 What it learned",
    "inside.tab.one": "🔬 One image, layer by layer",
    "inside.tab.pca": "🗺️ All test images in 2D",
    # weights
    "inside.weights.mlp": (
        "Each square is one hidden unit of the first layer: its 784 weights drawn where their pixels are. "
        "**Red**: ink there pushes the unit up; **blue**: ink there pushes it down; white: the pixel does not "
        "matter. Deeper layers look at units, not pixels, so only the first layer can be drawn like this."
    ),
    "inside.weights.linear": (
        "Each square is the template of one digit: its 784 weights drawn where their pixels are. "
        "**Red**: ink there is evidence for this digit; **blue**: evidence against. Can you see the digits?"
    ),
    "inside.weights.count": "Units shown",
    "inside.weights.count.help": "How many hidden units to draw (the first ones; the layer has {n}).",
    "inside.weights.shared": "One colour scale for all",
    "inside.weights.shared.help": (
        "Off: each square uses its own colour range, so faint patterns show. On: all share one range, so you "
        "can see which units have large weights and which barely learned."
    ),
    "inside.weights.shown": "Showing {shown} of {n} units.",
    "inside.filters.layer": "Convolution layer",
    "inside.filters.layer.help": "Which convolution layer's filters to draw (1 = the one that looks at the pixels).",
    "inside.filters.option": "Layer {i}: {n_in} → {n_out} channels, {k}x{k} filters",
    "inside.filters.first": (
        "Each small square is one {k}x{k} filter that slides over the digit. **Red** weights add the ink they "
        "cover, **blue** ones subtract it: a filter red on one side and blue on the other finds edges."
    ),
    "inside.filters.deeper": (
        "Each row is one output channel, each column one input channel (a feature map of the layer before): "
        "a filter of this layer combines {n_in} maps, with one {k}x{k} square per map. One colour scale for "
        "the whole layer."
    ),
    # one image
    "inside.input.source": "Image",
    "inside.input.source.help": "A test image from MNIST, or the digit you drew on the Draw page.",
    "inside.input.test": "🔢 Test image",
    "inside.input.draw": "✏️ Your drawing",
    "inside.input.no_drawing": "Draw a digit on the Draw page and it can be looked at here too.",
    "inside.input.index": "Test image number",
    "inside.input.index.help": "Which MNIST test image to send through the network (0 to {last}).",
    "inside.input.random": "🎲 Random",
    "inside.input.random.help": "Pick a random test image.",
    "inside.input.caption.test": "Test image {i}: true digit {label}. The network reads {pred} ({p:.0%}).",
    "inside.input.caption.draw": "Your drawing. The network reads {pred} ({p:.0%}).",
    "inside.output": "Output: probability of each digit",
    "inside.activations": "Hidden layers",
    "inside.activations.intro": (
        "Each bar is one hidden unit's activation for this image: how strongly it fires (0: silent). Another "
        "digit lights up another pattern of units, and the next layer reads the digit off that pattern."
    ),
    "inside.activations.none": "A linear model has no hidden layer: the pixels go straight to the 10 scores above.",
    "inside.top": "The first-layer units that fired most for this image",
    "inside.top.intro": "Their weights show what they look for; the number is how strongly each fired.",
    "inside.maps": "Feature maps",
    "inside.maps.intro": (
        "What each layer makes of the image. A convolution produces one map per filter; ReLU sets the negative "
        "values to 0; pooling halves the size, keeping the strongest value of each 2x2 block."
    ),
    "inside.maps.all": "Show the ReLU and pooling steps too",
    "inside.maps.all.help": "Off: only the output of each convolution. On: every step the image goes through.",
    "inside.maps.shared": "One colour scale per layer",
    "inside.maps.shared.help": "On: maps of a layer share one colour range, so silent maps look empty. "
                               "Off: each map is stretched to its own range, so faint structure shows.",
    "inside.maps.stage": "{name}: {c} maps of {h}x{w}",
    "inside.maps.dense": "The fully connected layers after the convolutions",
    # pca
    "inside.pca.intro": (
        "Each dot is one test image, coloured by its true digit. An image is a list of numbers (784 pixels, or "
        "the last hidden layer's activations); PCA finds the two directions in which those lists vary most and "
        "draws every image there. Left: raw pixels. Right: what the network's last hidden layer makes of them. "
        "After learning, the digits should form clearer groups."
    ),
    "inside.pca.count": "Test images",
    "inside.pca.count.help": "How many test images to project (the first ones of the test set).",
    "inside.pca.raw": "Raw pixels (784 numbers per image)",
    "inside.pca.hidden": "Last hidden layer ({d} numbers per image)",
    "inside.pca.scores": "The 10 output scores",
    "inside.pca.linear": "A linear model has no hidden layer, so the right side shows its 10 output scores instead.",
    "inside.pca.separation": "Nearest-centre accuracy in this picture",
    "inside.pca.separation.help": (
        "Classify each dot by the nearest digit centre (the big numbers) in this 2D picture: the share it gets "
        "right measures how well the digits separate here."
    ),
    "inside.pca.computing": "Projecting {n} test images...",
    # figure labels
    "inside.fig.unit": "unit",
    "inside.fig.value": "value",
    "inside.fig.weight": "weight",
    "inside.fig.relative": "relative",
    "inside.fig.activation": "activation",
    "inside.fig.probability": "probability",
    "inside.fig.digit": "digit",
    "inside.fig.pc1": "PC 1",
    "inside.fig.pc2": "PC 2",
    "inside.fig.variance": "{pct:.0%} of the variance",
    "inside.fig.out": "out",
    "inside.fig.in": "in",
    "inside.fig.map": "map",
    "inside.fig.filter": "filter",
    "inside.fig.image": "test image",
    "inside.fig.hidden": "hidden layer {i}: {n} units ({act})",
    "inside.error": "This run cannot be looked inside: {msg}",
    "inside.diverged": "💥 This run diverged: its weights became NaN or infinite, so there is nothing to look at "
                       "inside. Its curve is still on the Compare page: it shows when the loss blew up."
}

ZH = {
    "inside.title": "网络内部",
    "inside.intro": (
        "打开一个训练好的网络看看：各层学到了什么（把权重画成图片），以及一张图片在网络里逐层经历了什么。"
        "最后一个标签页把所有测试图片按网络的“眼光”压平到一张平面图上。"
    ),
    "inside.kind.mlp": "多层感知机：每个隐藏单元都看全部 784 个像素，后面的层再看前一层的单元。",
    "inside.kind.linear": "线性模型：每个数字的得分是 784 个像素的加权和，没有隐藏层。",
    "inside.kind.scratch": "NumPy 网络：784 个像素 → {hidden} 个 sigmoid 单元 → 10 个 sigmoid 输出。",
    "inside.kind.cnn": (
        "卷积网络：小滤波器在图片上滑动，生成特征图；池化把特征图缩小，最后一个线性层从最后的特征图中读出数字。"
    ),
    "inside.knn": (
        "k 近邻没有可以查看的权重，这完全没问题：它什么也不学，只是记住所有训练图片；遇到新图片时，"
        "让最相似的 {k} 张训练图片投票。下面是它比较的内容：它眼中的这张图片。"
    ),
    "inside.knn.blocks": "图片中 {grid}x{grid} 个方块里每块的墨水量：kNN 比较的就是这 {n} 个数。",
    "inside.knn.pixels": "原始的 28x28 像素：kNN 比较的就是这 784 个数。",
    "inside.knn.hint": "“手写”页会显示哪些训练图片是它的最近邻。",
    "inside.tab.weights": "🧩 学到了什么",
    "inside.tab.one": "🔬 一张图片，逐层查看",
    "inside.tab.pca": "🗺️ 所有测试图片的二维图",
    "inside.weights.mlp": (
        "每个小方块是第一层的一个隐藏单元：把它的 784 个权重画在对应像素的位置上。"
        "**红色**：那里有墨水会让该单元更活跃；**蓝色**：那里有墨水会抑制它；白色：该像素无关紧要。"
        "更深的层看的是单元而不是像素，所以只有第一层能这样画出来。"
    ),
    "inside.weights.linear": (
        "每个小方块是一个数字的模板：把它的 784 个权重画在对应像素的位置上。"
        "**红色**：那里有墨水是支持该数字的证据；**蓝色**：是反对的证据。你能看出这些数字吗？"
    ),
    "inside.weights.count": "显示的单元数",
    "inside.weights.count.help": "要画出多少个隐藏单元（从第一个开始；这一层共有 {n} 个）。",
    "inside.weights.shared": "所有方块使用同一色标",
    "inside.weights.shared.help": (
        "关闭：每个方块使用自己的颜色范围，微弱的图案也能看清。开启：所有方块共用一个范围，"
        "可以看出哪些单元权重大、哪些几乎没学到东西。"
    ),
    "inside.weights.shown": "显示 {n} 个单元中的 {shown} 个。",
    "inside.filters.layer": "卷积层",
    "inside.filters.layer.help": "要画出哪一个卷积层的滤波器（1 = 直接看像素的那一层）。",
    "inside.filters.option": "第 {i} 层：{n_in} → {n_out} 个通道，{k}x{k} 滤波器",
    "inside.filters.first": (
        "每个小方块是一个在数字上滑动的 {k}x{k} 滤波器。**红色**权重把覆盖到的墨水加上，**蓝色**权重把它减去："
        "一边红一边蓝的滤波器能找到边缘。"
    ),
    "inside.filters.deeper": (
        "每一行是一个输出通道，每一列是一个输入通道（前一层的一张特征图）：这一层的一个滤波器组合 {n_in} 张特征图，"
        "每张图对应一个 {k}x{k} 的小方块。整层使用同一色标。"
    ),
    "inside.input.source": "图片",
    "inside.input.source.help": "MNIST 中的一张测试图片，或你在“手写”页画的数字。",
    "inside.input.test": "🔢 测试图片",
    "inside.input.draw": "✏️ 你画的数字",
    "inside.input.no_drawing": "在“手写”页画一个数字，这里也能查看它。",
    "inside.input.index": "测试图片编号",
    "inside.input.index.help": "把哪一张 MNIST 测试图片送进网络（0 到 {last}）。",
    "inside.input.random": "🎲 随机",
    "inside.input.random.help": "随机挑选一张测试图片。",
    "inside.input.caption.test": "测试图片 {i}：真实数字 {label}。网络认为是 {pred}（{p:.0%}）。",
    "inside.input.caption.draw": "你画的数字。网络认为是 {pred}（{p:.0%}）。",
    "inside.output": "输出：每个数字的概率",
    "inside.activations": "隐藏层",
    "inside.activations.intro": (
        "每根柱子是一个隐藏单元对这张图片的激活值：它被激发的强度（0 表示沉默）。换一个数字，亮起的单元模式就不同，"
        "下一层正是从这种模式中读出数字。"
    ),
    "inside.activations.none": "线性模型没有隐藏层：像素直接变成上面的 10 个得分。",
    "inside.top": "对这张图片激发最强的第一层单元",
    "inside.top.intro": "它们的权重显示了它们在寻找什么；数字表示每个单元被激发的强度。",
    "inside.maps": "特征图",
    "inside.maps.intro": (
        "每一层对这张图片的处理结果。卷积为每个滤波器生成一张特征图；ReLU 把负值变成 0；"
        "池化把尺寸减半，保留每个 2x2 方块中最强的值。"
    ),
    "inside.maps.all": "同时显示 ReLU 和池化步骤",
    "inside.maps.all.help": "关闭：只显示每个卷积的输出。开启：显示图片经过的每一步。",
    "inside.maps.shared": "每层使用同一色标",
    "inside.maps.shared.help": "开启：同一层的特征图共用一个颜色范围，不活跃的图看起来是空的。"
                               "关闭：每张图拉伸到自己的范围，微弱的结构也能看清。",
    "inside.maps.stage": "{name}：{c} 张 {h}x{w} 的特征图",
    "inside.maps.dense": "卷积之后的全连接层",
    "inside.pca.intro": (
        "每个点是一张测试图片，颜色表示它的真实数字。一张图片就是一串数字（784 个像素，或最后一个隐藏层的激活值）；"
        "PCA（主成分分析）找出这些数变化最大的两个方向，并把每张图片画在这两个方向上。"
        "左边：原始像素。右边：网络最后一个隐藏层对它们的表示。学习之后，各个数字应该分成更清晰的团簇。"
    ),
    "inside.pca.count": "测试图片数",
    "inside.pca.count.help": "要投影多少张测试图片（取测试集的前若干张）。",
    "inside.pca.raw": "原始像素（每张图片 784 个数）",
    "inside.pca.hidden": "最后一个隐藏层（每张图片 {d} 个数）",
    "inside.pca.scores": "10 个输出得分",
    "inside.pca.linear": "线性模型没有隐藏层，所以右边显示的是它的 10 个输出得分。",
    "inside.pca.separation": "在这张图中按最近中心分类的准确率",
    "inside.pca.separation.help": (
        "在这张二维图里，把每个点归到离它最近的数字中心（大号数字）：分对的比例衡量各数字在这里分得有多开。"
    ),
    "inside.pca.computing": "正在投影 {n} 张测试图片……",
    "inside.fig.unit": "单元",
    "inside.fig.value": "数值",
    "inside.fig.weight": "权重",
    "inside.fig.relative": "相对值",
    "inside.fig.activation": "激活值",
    "inside.fig.probability": "概率",
    "inside.fig.digit": "数字",
    "inside.fig.pc1": "主成分 1",
    "inside.fig.pc2": "主成分 2",
    "inside.fig.variance": "占方差的 {pct:.0%}",
    "inside.fig.out": "输出",
    "inside.fig.in": "输入",
    "inside.fig.map": "特征图",
    "inside.fig.filter": "滤波器",
    "inside.fig.image": "测试图片",
    "inside.fig.hidden": "隐藏层 {i}：{n} 个单元（{act}）",
    "inside.error": "无法查看这个训练记录的内部：{msg}",
    "inside.diverged": "💥 这次训练发散了：权重变成了 NaN 或无穷大，网络内部没有什么可看的。"
                       "它的曲线仍在“对比”页上，可以看到损失是在什么时候爆炸的。",
}
