#pragma once
// Evaluation statistics: partitions (ARI, foreground ARI) and how the patch grid of the
// preprocessed image relates to an instance label map.
//
// Label maps: int64 [H, W] placed like their image (vision::letterbox_labels): 0 = background
// (the scenes' plain or textured background, COCO's unlabelled pixels), k > 0 = instance k (the
// record's k-th phrase), -1 = ignore (letterbox padding). A map covers the preprocessed image
// exactly, so pixel (y, x) of an H x W map sits at ((y + 0.5) S / H, (x + 0.5) S / W) of the
// S x S tower input, whatever H and W are.
#include <vector>

#include <ATen/core/Tensor.h>

namespace setok::train {

// Adjusted Rand index of two labelings of the same items (int64 [N]); 1 = identical partitions,
// ~0 = chance. Defined as 1 when both put everything in one cluster.
double adjusted_rand_index(const at::Tensor& a, const at::Tensor& b);

// Pearson correlation of two equally long samples (0 when either is constant).
double pearson(const std::vector<double>& x, const std::vector<double>& y);

// The patch of every pixel of an H x W label map over a tower input of image_size pixels per
// side cut into patch_size patches (grid = image_size / patch_size, floored as the tower's
// convolution): int64 [H * W] in [0, grid^2), or -1 for pixels of the strip the convolution
// never sees.
at::Tensor pixel_patches(int64_t height, int64_t width, int64_t image_size, int64_t patch_size);

// Per pixel of `labels` [H, W], the cluster of its patch: assignment [grid^2] (-1 = masked
// patch) -> int64 [H * W], -1 where the pixel has no patch or its patch no cluster.
at::Tensor pixel_clusters(const at::Tensor& labels, const at::Tensor& assignment,
                          int64_t image_size, int64_t patch_size);

// ARI of the clusters against the instance labels over every labelled pixel (background
// included; ignore pixels and unclustered patches left out). NaN when fewer than 2 pixels count.
double pixel_ari(const at::Tensor& labels, const at::Tensor& pixel_cluster);

// ARI over foreground pixels only (labels > 0), the object-discovery convention: whether the
// clusters separate the objects from each other, whatever they do with the background. NaN when
// the image has fewer than 2 foreground pixels with a cluster.
double foreground_ari(const at::Tensor& labels, const at::Tensor& pixel_cluster);

// The majority label of each patch over its labelled pixels: int64 [grid^2] (-1 for a patch
// without labelled pixels). `num_labels` > every label in the map.
at::Tensor patch_owners(const at::Tensor& labels, int64_t image_size, int64_t patch_size,
                        int64_t num_labels);

}  // namespace setok::train
