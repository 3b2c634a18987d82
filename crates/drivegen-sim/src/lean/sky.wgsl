// The sky dome: its painted texture, tonemapped and dithered as Bevy's unlit PBR path
// does, without the rest of the PBR shader (which a software renderer would run anyway).
#import bevy_pbr::{
    forward_io::{VertexOutput, FragmentOutput},
    mesh_view_bindings::view,
}
#ifdef TONEMAP_IN_SHADER
#import bevy_core_pipeline::tonemapping::{tone_mapping, screen_space_dither}
#import bevy_render::maths::powsafe
#endif

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var sky_texture: texture_2d<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var sky_sampler: sampler;

@fragment
fn fragment(in: VertexOutput) -> FragmentOutput {
#ifdef VERTEX_UVS_A
    var color = textureSampleBias(sky_texture, sky_sampler, in.uv, view.mip_bias);
#else
    var color = vec4<f32>(1.0);
#endif
#ifdef TONEMAP_IN_SHADER
    color = tone_mapping(color, view.color_grading);
#ifdef DEBAND_DITHER
    var rgb = powsafe(color.rgb, 1.0 / 2.2);
    rgb += screen_space_dither(in.position.xy);
    color = vec4(powsafe(rgb, 2.2), color.a);
#endif
#endif
    var out: FragmentOutput;
    out.color = color;
    return out;
}
