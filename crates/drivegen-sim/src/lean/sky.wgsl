// The sky dome: its painted texture, tonemapped and dithered as Bevy's unlit PBR path
// does, without the rest of the PBR shader (which a software renderer would run anyway).
#import bevy_pbr::{
    forward_io::{VertexOutput, FragmentOutput},
    mesh_view_bindings::view,
}
#import drivegen::lean_output::finish

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var sky_texture: texture_2d<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var sky_sampler: sampler;

@fragment
fn fragment(in: VertexOutput) -> FragmentOutput {
#ifdef VERTEX_UVS_A
    var color = textureSampleBias(sky_texture, sky_sampler, in.uv, view.mip_bias);
#else
    var color = vec4<f32>(1.0);
#endif
    var out: FragmentOutput;
    out.color = finish(color, in.position.xy);
    return out;
}
